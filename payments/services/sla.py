"""Settling an SLA result: attest it, then pay it. What ``process-sla`` and
``execute-payment`` call once the outages app hands over its evaluation as plain data.

The SLA result arrives as :class:`SlaResult` (no outage model needed here). The attestation
comes first, so every payout points at the on-ledger evaluation that justified it; both are
exactly-once by their memos (the document's digest; the outage and SLA config version), so a
retry of the whole call resumes where the last one stopped and never pays twice.
"""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from core.context import Context
from core.errors import InvalidInput
from payments.models import Attestation, LedgerStatus, Payment, PaymentType
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


def settle_sla_result(*, result: SlaResult, context: Context, pay: bool = True) -> SlaSettlement:
    """Attest ``result`` on Stellar and (with ``pay``) pay it; returns both rows.

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
    if not pay or result.payment_type == "none" or not Decimal(result.amount):
        return SlaSettlement(attestation=attestation, payment=None)
    payment = request_payment(
        organization=result.organization,
        payment_type=result.payment_type,
        amount=result.amount,
        to_address=result.noc_wallet if result.payment_type == PaymentType.REWARD else "",
        idempotency_key=sla_idempotency_key(result),
        outage_ref=result.outage_id,
        sla_config_version=result.config_version,
        attestation=attestation,
        context=context,
    )
    if payment.status != LedgerStatus.CONFIRMED:
        payment = settle_payment(payment=payment, context=context)
    return SlaSettlement(attestation=attestation, payment=payment)
