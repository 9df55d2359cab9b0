"""Payments: request one (exactly once per idempotency key), settle it on the ledger."""

import hashlib
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction

from accounts.audit import record_audit
from core.context import Context
from core.errors import Conflict, InvalidInput
from payments.models import Payment, PaymentType, SourceRole
from payments.services import ledger
from payments.services.accounts import payment_asset, stellar_keys_for
from upstream.stellar import StellarAsset
from upstream.stellar.formats import amount as stellar_amount
from upstream.stellar.formats import is_account_id


def payment_memo(*, organization_id: int, idempotency_key: str) -> str:
    """The payment's memo hash (hex): the same organization and key always give the same memo,
    so the ledger can be searched for a payment before it is ever sent again."""
    material = f"fleetops:payment:v1:{organization_id}:{idempotency_key}"
    return hashlib.sha256(material.encode()).hexdigest()


def request_payment(
    *,
    organization,
    payment_type: str,
    amount,
    idempotency_key: str,
    to_address: str = "",
    outage_ref: str = "",
    outage=None,
    sla_config_version: str = "",
    attestation=None,
    context: Context,
) -> Payment:
    """The payment for ``idempotency_key`` (created the first time, pending, nothing sent).

    A reward and a manual payment are paid by the pool to ``to_address``; a penalty by the
    operator to the pool (``to_address`` may be left empty). The same key with other terms
    is a conflict, and so is a second reward or penalty for ``outage`` (the database holds one
    per outage). ``UpstreamNotConnected`` when the organization has no Stellar keys."""
    if payment_type not in PaymentType.values:
        raise InvalidInput({"type": f"Must be one of {', '.join(PaymentType.values)}."})
    try:
        value = stellar_amount(amount)
    except ValueError as exc:
        raise InvalidInput({"amount": str(exc)}) from None
    if not idempotency_key or len(idempotency_key) > 200:
        raise InvalidInput({"idempotency_key": "Between 1 and 200 characters."})
    keys = stellar_keys_for(organization=organization)
    role = SourceRole.OPERATOR if payment_type == PaymentType.PENALTY else SourceRole.POOL
    from_address = keys.signer(role).public_key
    if payment_type == PaymentType.PENALTY:
        to_address = to_address or keys.pool.public_key
    if not is_account_id(to_address):
        raise InvalidInput({"to_address": "Not a Stellar public key (G..., 56 characters)."})
    if to_address == from_address:
        raise InvalidInput({"to_address": "A payment cannot go to the account paying it."})
    asset = payment_asset()
    terms = {
        "payment_type": payment_type,
        "amount": value,
        "asset_code": asset.code,
        "asset_issuer": asset.issuer,
        "to_address": to_address,
        "from_address": from_address,
    }
    try:
        with transaction.atomic():
            payment, created = Payment.objects.get_or_create(
                organization=organization,
                idempotency_key=idempotency_key,
                defaults={
                    **terms,
                    "source_role": role,
                    "memo": payment_memo(
                        organization_id=organization.pk, idempotency_key=idempotency_key
                    ),
                    "outage_ref": outage_ref,
                    "outage": outage,
                    "sla_config_version": str(sla_config_version or ""),
                    "attestation": attestation,
                    "created_by": context.actor if getattr(context.actor, "pk", None) else None,
                },
            )
    except IntegrityError:  # a concurrent request created it first
        payment = Payment.objects.filter(
            organization=organization, idempotency_key=idempotency_key
        ).first()
        if payment is None:  # the outage's payout exists under another key
            raise Conflict(
                "This outage's SLA payout is already recorded.",
                details={"outage_id": outage_ref},
            ) from None
        created = False
    if not created:
        differing = [k for k, v in terms.items() if getattr(payment, k) != v]
        if differing:
            raise Conflict(
                "This idempotency key was used for a different payment.",
                details={"payment_id": payment.pk, "differs": differing},
            )
        return payment
    record_audit(
        operation="payment.request",
        resource_type="payment",
        resource_id=str(payment.pk),
        user=context.actor,
        organization=organization,
        request_body={
            "type": payment_type,
            "amount": str(value),
            "asset": asset.code,
            "to_address": to_address,
            "outage_id": outage_ref,
        },
    )  # context: address and user agent are not passed until record_audit takes a context
    return payment


def payment_builder(payment: Payment) -> ledger.Build:
    asset = StellarAsset(payment.asset_code, payment.asset_issuer)

    def build(client, signer):
        return client.build_payment(
            signer=signer,
            destination=payment.to_address,
            asset=asset,
            amount=Decimal(payment.amount),
            memo_hash=bytes.fromhex(payment.memo),
            timeout_seconds=settings.STELLAR_TX_TIMEOUT_SECONDS,
        )

    return build


def settle_payment(*, payment: Payment, context: Context) -> Payment:
    """Pay ``payment`` on Stellar exactly once (``payments.services.ledger.settle``)."""
    return ledger.settle(payment, build=payment_builder(payment))


def follow_payments(*, older_than_seconds: int = 30) -> dict:
    """Settle every payment and attestation whose outcome is still open (the beat job)."""
    from payments.models import Attestation

    return {
        "payments": ledger.follow_submissions(Payment, older_than_seconds=older_than_seconds),
        "attestations": ledger.follow_submissions(
            Attestation, older_than_seconds=older_than_seconds
        ),
    }
