"""The SLA settlement the outages app will call: attest, then pay, exactly once."""

from decimal import Decimal

import pytest

from payments.models import Attestation, LedgerStatus, Payment
from payments.services import SlaResult, settle_sla_result, verify_attestation
from upstream.stellar.formats import memo_digest

pytestmark = pytest.mark.django_db(transaction=True)


def result(organization, noc_wallet, **kwargs) -> SlaResult:
    values = {
        "outage_id": "OUT001",
        "organization": organization,
        "payment_type": "reward",
        "amount": Decimal("1500"),
        "config_version": "3",
        "document": {
            "outage_id": "OUT001",
            "status": "met",
            "mttr_minutes": 12,
            "threshold_minutes": 15,
            "amount": "1500.0000000",
            "payment_type": "reward",
            "config_version": "3",
        },
        "noc_wallet": noc_wallet,
    }
    values.update(kwargs)
    return SlaResult(**values)


def test_an_sla_reward_is_attested_then_paid_and_a_repeat_changes_nothing(
    organization, network, noc_wallet, usdc, system_context
):
    sla = result(organization, noc_wallet)
    settled = settle_sla_result(result=sla, context=system_context)

    attestation, payment = settled.attestation, settled.payment
    assert attestation.status == LedgerStatus.CONFIRMED
    assert attestation.memo == memo_digest(sla.document).hex()
    assert payment.status == LedgerStatus.CONFIRMED and payment.attestation == attestation
    assert (payment.outage_ref, payment.sla_config_version) == ("OUT001", "3")
    assert verify_attestation(attestation=attestation)
    assert not verify_attestation(attestation=attestation, document={**sla.document, "amount": "1"})
    ledger_size = len(network.ledger_transactions())

    again = settle_sla_result(result=sla, context=system_context)

    assert (again.attestation.pk, again.payment.pk) == (attestation.pk, payment.pk)
    assert len(network.ledger_transactions()) == ledger_size
    assert network.balance(noc_wallet, *usdc) == Decimal("1500")
    assert (Attestation.objects.count(), Payment.objects.count()) == (1, 1)


def test_a_met_sla_without_amount_is_attested_and_not_paid(
    organization, network, noc_wallet, system_context
):
    settled = settle_sla_result(
        result=result(organization, noc_wallet, payment_type="none", amount=Decimal("0")),
        context=system_context,
    )
    assert settled.payment is None
    assert settled.attestation.status == LedgerStatus.CONFIRMED
