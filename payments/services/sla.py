"""Settling an SLA result: attest it, then pay it. What ``process-sla`` and
``execute-payment`` call (``settle_outage``).

``settle_outage`` takes the outage's SLA result from the outages app's one rule
(``outages.services.evaluate_sla``: evaluated once, stored) and hands it to
``settle_sla_result`` as plain data (:class:`SlaResult`). The attestation comes first, so
every payout points at the on-ledger evaluation that justified it; both are exactly-once by
their memos (the document's digest; the outage and SLA config version) and the payout by its
idempotency key and the one-payout-per-outage constraint, so a retry of the whole call, or a
second worker, resumes where the last one stopped and never pays twice.
"""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from core.context import Context
from core.errors import Conflict, InvalidInput
from outages.models import Outage, OutageStatus
from outages.services import evaluate_sla
from payments.models import Attestation, LedgerStatus, Payment, PaymentType, Wallet
from payments.services.accounts import stellar_keys_for
from payments.services.attestations import attest_document
from payments.services.payments import request_payment, settle_payment


@dataclass(frozen=True)
class SlaResult:
    """An SLA evaluation as the outages app hands it over.

    ``payment_type`` is "reward", "penalty" or "none"; ``amount`` is positive (its direction is
    the type). ``document`` is the canonical result that is attested (outage, MTTR, threshold,
    status, amount, config version); ``noc_wallet`` receives a reward; a penalty is paid by
    the organization's operator key to its pool.
    """

    outage_id: str
    organization: Any
    payment_type: str
    amount: Decimal
    config_version: str
    document: dict = field(default_factory=dict)
    noc_wallet: str = ""


@dataclass(frozen=True)
class SlaSettlement:
    attestation: Attestation
    payment: Payment | None


def sla_idempotency_key(result: SlaResult) -> str:
    return f"sla:{result.outage_id}:{result.config_version}:{result.payment_type}"


def settle_sla_result(
    *, result: SlaResult, context: Context, pay: bool = True, outage: Outage | None = None
) -> SlaSettlement:
    """Attest ``result`` on Stellar and (with ``pay``) pay it; returns both rows. The payment
    is linked to ``outage`` when given (one payout per outage).

    Raises what ``payments.services.ledger.settle`` raises (``UpstreamWriteFailed`` with a
    ``STELLAR_*`` cause); the rows keep their state, and calling again resumes."""
    if result.payment_type not in (*PaymentType.values, "none"):
        raise InvalidInput({"payment_type": "reward, penalty or none."})
    document = result.document or {
        "outage_id": result.outage_id,
        "payment_type": result.payment_type,
        "amount": str(result.amount),
        "config_version": str(result.config_version),
    }
    attestation = attest_document(
        organization=result.organization,
        subject=f"sla:{result.outage_id}:{result.config_version}",
        document=document,
        outage_ref=result.outage_id,
        context=context,
    )
    if attestation.status == LedgerStatus.FAILED:  # refused earlier: never pay without it
        raise Conflict(
            f"The attestation of {result.outage_id}'s SLA result failed on the ledger; "
            "nothing is paid.",
            details={"outage_id": result.outage_id, "error_code": attestation.error_code},
        )
    if not pay or result.payment_type == "none" or not Decimal(result.amount):
        return SlaSettlement(attestation=attestation, payment=None)
    payment = request_payment(
        organization=result.organization,
        payment_type=result.payment_type,
        amount=result.amount,
        to_address=result.noc_wallet if result.payment_type == PaymentType.REWARD else "",
        idempotency_key=sla_idempotency_key(result),
        outage_ref=result.outage_id,
        outage=outage,
        sla_config_version=result.config_version,
        attestation=attestation,
        context=context,
    )
    if payment.status != LedgerStatus.CONFIRMED:
        payment = settle_payment(payment=payment, context=context)
    return SlaSettlement(attestation=attestation, payment=payment)


@dataclass(frozen=True)
class OutageSettlement:
    """What settling an outage did: its SLA result (the outages app's), the attestation and
    the payment (``None`` when no payout is due: ``due`` is False)."""

    outage: Outage
    sla_result: Any
    attestation: Attestation | None
    payment: Payment | None

    @property
    def due(self) -> bool:
        return bool(self.sla_result.amount)


def sla_document(outage: Outage, sla_result) -> dict:
    """The canonical SLA result that is attested: the same stored result, the same digest."""
    return {
        "outage_id": outage.public_id,
        "status": sla_result.status,
        "mttr_minutes": sla_result.mttr_minutes,
        "threshold_minutes": sla_result.threshold_minutes,
        "amount": str(sla_result.amount),
        "payment_type": sla_result.payment_type,
        "performance_rating": sla_result.performance_rating,
        "config_version": str(sla_result.config.version),
    }


def outage_payout(outage: Outage) -> Payment | None:
    """The outage's SLA payout (a reward or a penalty), if one was ever recorded."""
    return (
        Payment.objects.select_related("attestation")
        .filter(outage=outage, payment_type__in=[PaymentType.REWARD, PaymentType.PENALTY])
        .first()
    )


def _noc_wallet(outage: Outage, address: str, existing: Payment | None) -> str:
    """Where a reward goes: ``address`` when given (a wallet of the outage's organization),
    else where the recorded payout went, else the assignee's wallet."""
    wallets = Wallet.objects.filter(organization_id=outage.organization_id, active=True)
    if address:
        if not wallets.filter(public_key=address).exists():
            raise InvalidInput(
                {"noc_team_wallet": "Not an active wallet of your organization."},
            )
        return address
    if existing is not None:
        return existing.to_address
    wallet = None
    if outage.assigned_to_id:
        wallet = wallets.filter(user_id=outage.assigned_to_id).first()
    if wallet is None:
        raise Conflict(
            f"Outage {outage.public_id} earned a reward but has no NOC team wallet to pay: "
            "pass noc_team_wallet (a wallet of your organization) or assign the outage to a "
            "user who has one.",
            details={"field": "noc_team_wallet", "outage_id": outage.public_id},
        )
    return wallet.public_key


def _check_operator(outage: Outage, address: str) -> None:
    """``operator_wallet``, when given, must be the organization's own operator account."""
    if not address:
        return
    operator = stellar_keys_for(organization=outage.organization).operator
    if operator is None or operator.public_key != address:
        raise InvalidInput(
            {"operator_wallet": "Not your organization's operator account on Stellar."}
        )


def settle_outage(
    *,
    outage: Outage,
    context: Context,
    noc_wallet: str = "",
    operator_wallet: str = "",
) -> OutageSettlement:
    """Evaluate ``outage``'s SLA (or reuse the stored result), attest it and pay what it says,
    exactly once: a reward from the pool to the NOC team's wallet, a penalty from the
    operator to the pool.

    Calling again answers the same payment (settling it if its outcome is still open).
    Conflict when the outage is not resolved (no SLA result: nothing is due yet), when its
    payout already failed on the ledger, or while another worker settles it; raises what
    ``ledger.settle`` raises on an upstream failure (nothing is recorded as paid)."""
    sla_result, _ = evaluate_sla(outage=outage, context=context)
    existing = outage_payout(outage)
    if existing is not None and existing.status == LedgerStatus.FAILED:
        raise Conflict(
            f"The SLA payout of outage {outage.public_id} failed on the ledger; it is not "
            "paid again automatically.",
            details={
                "outage_id": outage.public_id,
                "payment_id": existing.pk,
                "error_code": existing.error_code,
                "transaction_hash": existing.transaction_hash,
            },
        )
    _check_operator(outage, operator_wallet)
    amount = abs(sla_result.amount)
    reward = sla_result.payment_type == PaymentType.REWARD
    result = SlaResult(
        outage_id=outage.public_id,
        organization=outage.organization,
        payment_type=sla_result.payment_type if amount else "none",
        amount=amount,
        config_version=str(sla_result.config.version),
        document=sla_document(outage, sla_result),
        noc_wallet=_noc_wallet(outage, noc_wallet, existing) if reward and amount else "",
    )
    settled = settle_sla_result(result=result, context=context, outage=outage)
    return OutageSettlement(
        outage=outage,
        sla_result=sla_result,
        attestation=settled.attestation,
        payment=settled.payment,
    )


def settle_demo_outage(*, organization, context: Context) -> Outage | None:
    """``seed_demo``'s settled outage: the latest resolved outage of ``organization`` whose SLA
    was violated, attested and its penalty paid by the operator to the pool (through Horizon,
    or its simulator), exactly once like any other; None when no resolved outage owes one.
    Already settled (a second demo seed): that outage again, nothing paid twice."""
    paid = Payment.objects.filter(organization=organization, outage__isnull=False).first()
    if paid is not None:
        return paid.outage
    resolved = Outage.objects.filter(
        organization=organization, status=OutageStatus.RESOLVED
    ).order_by("-resolved_at", "-id")
    for outage in resolved[:DEMO_CANDIDATES]:
        sla_result, _ = evaluate_sla(outage=outage, context=context)
        if sla_result.payment_type == PaymentType.PENALTY and sla_result.amount:
            settle_outage(outage=outage, context=context)
            return outage
    return None


# How many of the latest resolved outages the demo looks through for a violated SLA.
DEMO_CANDIDATES = 50
