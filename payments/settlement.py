"""The payments side of ``outages.settlement``: whether an SLA result was attested on Stellar
and paid, for the outages app's answers (``sla_status``, ``contract_invocation``,
``stellar_payment``). Registered in ``PaymentsConfig.ready``, so outages never imports
payments."""

from decimal import Decimal

from outages.models import SlaResult
from outages.settlement import NOT_ATTESTED, Settlement
from payments.models import Attestation, LedgerStatus, Payment, PaymentType

STROOPS_PER_XLM = Decimal("10000000")


def stellar_payment(payment: Payment) -> dict:
    """Seed 004's ``stellar_payment`` object of an outage."""
    return {
        "transaction_hash": payment.transaction_hash or None,
        "amount": float(payment.amount),
        "asset_code": payment.asset_code,
        "from_address": payment.from_address,
        "to_address": payment.to_address,
        "type": payment.payment_type,
        "status": payment.status,
        "explorer_url": payment.explorer_url or None,
        "created_at": payment.created_at.isoformat(),
        "confirmed_at": payment.confirmed_at.isoformat() if payment.confirmed_at else None,
    }


def gas_cost_xlm(row) -> str | None:
    if row.fee_charged is None:
        return None
    return f"{(Decimal(row.fee_charged) / STROOPS_PER_XLM).normalize():f}"


class PaymentsSettlements:
    """Attestations and payouts of many SLA results in three queries."""

    def settlements_for(self, result_ids: list[int]) -> dict[int, Settlement]:
        results = list(
            SlaResult.objects.filter(pk__in=result_ids).select_related("outage", "config")
        )
        if not results:
            return {}
        payouts = {
            p.outage_id: p
            for p in Payment.objects.filter(
                outage_id__in=[r.outage_id for r in results],
                payment_type__in=[PaymentType.REWARD, PaymentType.PENALTY],
            )
        }
        subjects = {r.pk: f"sla:{r.outage.public_id}:{r.config.version}" for r in results}
        attestations = {
            (a.organization_id, a.subject): a
            for a in Attestation.objects.filter(
                organization_id__in={r.organization_id for r in results},
                subject__in=set(subjects.values()),
            ).order_by("created_at", "id")
        }
        settled = {}
        for result in results:
            payment = payouts.get(result.outage_id)
            attestation = attestations.get((result.organization_id, subjects[result.pk]))
            if payment is None and attestation is None:
                continue
            attested = attestation is not None and attestation.status == LedgerStatus.CONFIRMED
            paid = payment is not None and payment.status == LedgerStatus.CONFIRMED
            settled[result.pk] = Settlement(
                smart_contract_invoked=attested,
                contract_tx_hash=(attestation.transaction_hash or None) if attestation else None,
                contract_status=attestation.status if attestation else NOT_ATTESTED,
                gas_cost_xlm=gas_cost_xlm(attestation) if attestation else None,
                payment_executed=paid,
                payment_tx_hash=(payment.transaction_hash or None) if paid else None,
                payment=stellar_payment(payment) if payment is not None else None,
            )
        return settled
