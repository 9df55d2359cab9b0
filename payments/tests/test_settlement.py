"""Exactly-once settlement through the real client (stellar-sdk) against the Horizon simulator:
one payment on the ledger whatever is lost on the way."""

from decimal import Decimal

import pytest
import requests

from core.errors import Conflict, UpstreamNotConnected, UpstreamWriteFailed
from payments.models import LedgerStatus, Payment, PaymentEvent
from payments.services import follow_payments, request_payment, settle_payment
from payments.services.accounts import stellar_client
from upstream.stellar import StellarInsufficientBalance, StellarTimeout

pytestmark = pytest.mark.django_db(transaction=True)


def reward(organization, to, context, amount="25.5000000", key="k1"):
    return request_payment(
        organization=organization,
        payment_type="reward",
        amount=Decimal(amount),
        to_address=to,
        idempotency_key=key,
        outage_ref="OUT001",
        context=context,
    )


def memo_transactions(network, payment) -> list[dict]:
    import base64

    memo = base64.b64encode(bytes.fromhex(payment.memo)).decode()
    return [
        tx
        for tx in network.ledger_transactions(account_id=payment.from_address)
        if tx["memo"] == memo
    ]


def test_a_reward_is_paid_once_and_a_second_settle_sends_nothing(
    organization, network, noc_wallet, usdc, system_context
):
    payment = reward(organization, noc_wallet, system_context)
    assert payment.status == LedgerStatus.PENDING and payment.memo

    settled = settle_payment(payment=payment, context=system_context)
    assert settled.status == LedgerStatus.CONFIRMED and settled.ledger
    assert settled.explorer_url.endswith(f"/tx/{settled.transaction_hash}")
    posts = len(network.requests_received(path_contains="horizon/transactions", method="POST"))

    again = settle_payment(payment=Payment.objects.get(pk=payment.pk), context=system_context)
    assert again.transaction_hash == settled.transaction_hash
    assert (
        len(network.requests_received(path_contains="horizon/transactions", method="POST")) == posts
    )
    assert network.balance(noc_wallet, *usdc) == Decimal("25.5")
    assert len(memo_transactions(network, payment)) == 1
    kinds = list(PaymentEvent.objects.filter(payment=payment).values_list("kind", flat=True))
    assert kinds == ["payment.submitted", "payment.completed"]


def test_the_same_idempotency_key_is_the_same_payment_and_other_terms_conflict(
    organization, network, noc_wallet, system_context
):
    first = reward(organization, noc_wallet, system_context)
    assert reward(organization, noc_wallet, system_context).pk == first.pk
    with pytest.raises(Conflict):
        reward(organization, noc_wallet, system_context, amount="26")
    assert Payment.objects.count() == 1


def test_an_answer_lost_after_applying_is_found_by_memo_and_not_paid_again(
    organization, network, noc_wallet, usdc, system_context
):
    payment = reward(organization, noc_wallet, system_context)
    network.set_faults(apply_then="error", error_status=503, paths="horizon/transactions")

    settled = settle_payment(payment=payment, context=system_context)

    assert settled.status == LedgerStatus.CONFIRMED
    assert len(memo_transactions(network, payment)) == 1
    assert network.balance(noc_wallet, *usdc) == Decimal("25.5")


def test_a_timeout_leaves_it_submitted_and_the_follow_up_confirms_it_once(
    organization, network, noc_wallet, usdc, system_context, settings
):
    payment = reward(organization, noc_wallet, system_context)
    # The submission is applied and its answer hangs; the ledger searches hang too.
    network.set_faults(apply_then="hang", hang_seconds=4, paths="/transactions")

    with pytest.raises(UpstreamWriteFailed) as caught:
        settle_payment(payment=payment, context=system_context)

    assert isinstance(caught.value.cause, StellarTimeout)
    payment.refresh_from_db()
    assert payment.status == LedgerStatus.SUBMITTED and payment.envelope_xdr
    network.clear_faults()

    counts = follow_payments(older_than_seconds=0)

    assert counts["payments"]["confirmed"] == 1
    payment.refresh_from_db()
    assert payment.status == LedgerStatus.CONFIRMED
    assert len(memo_transactions(network, payment)) == 1
    assert network.balance(noc_wallet, *usdc) == Decimal("25.5")


class WorkerKilled(BaseException):
    """What SIGKILL looks like from inside: nothing after it runs."""


def kill_worker_after_post(monkeypatch, *, send: bool):
    real_post = requests.Session.post

    def post(self, url, *args, **kwargs):
        if "/transactions" in url:
            if send:
                real_post(self, url, *args, **kwargs)
            raise WorkerKilled()
        return real_post(self, url, *args, **kwargs)

    monkeypatch.setattr(requests.Session, "post", post)


@pytest.mark.parametrize("sent", [True, False], ids=["after-sending", "before-sending"])
def test_a_worker_killed_around_the_submission_ends_with_exactly_one_payment(
    organization, network, noc_wallet, usdc, system_context, monkeypatch, sent
):
    payment = reward(organization, noc_wallet, system_context)
    kill_worker_after_post(monkeypatch, send=sent)
    with pytest.raises(WorkerKilled):
        settle_payment(payment=payment, context=system_context)
    monkeypatch.undo()
    payment.refresh_from_db()
    assert payment.status == LedgerStatus.SUBMITTED  # written before the submission
    # (A real SIGKILL leaves the settle lock to expire within its TTL; the follow-up
    # job runs after that.)
    follow_payments(older_than_seconds=0)

    payment.refresh_from_db()
    assert payment.status == LedgerStatus.CONFIRMED
    assert len(memo_transactions(network, payment)) == 1
    assert network.balance(noc_wallet, *usdc) == Decimal("25.5")


def test_an_envelope_that_can_never_apply_is_rebuilt_after_searching(
    organization, network, noc_wallet, usdc, system_context, pool_address
):
    """The stored envelope's sequence number was used by another transaction of the pool
    (it can never apply): the memo search finds nothing, a new envelope pays once."""
    from payments.services.accounts import stellar_keys_for
    from payments.services.ledger import _record_envelope
    from payments.services.payments import payment_builder

    payment = reward(organization, noc_wallet, system_context)
    signer = stellar_keys_for(organization=organization).pool
    client = stellar_client()
    _record_envelope(payment, payment_builder(payment)(client, signer))
    stale_hash = payment.transaction_hash
    other = reward(organization, noc_wallet, system_context, amount="1", key="other")
    settle_payment(payment=other, context=system_context)  # uses the same sequence number

    settled = settle_payment(payment=payment, context=system_context)

    assert settled.status == LedgerStatus.CONFIRMED
    assert settled.transaction_hash != stale_hash and settled.attempts == 2
    assert len(memo_transactions(network, payment)) == 1
    assert network.balance(noc_wallet, *usdc) == Decimal("26.5")


def test_an_underfunded_pool_fails_the_payment_with_its_code_and_moves_nothing(
    organization, network, noc_wallet, usdc, system_context, pool_address
):
    payment = reward(organization, noc_wallet, system_context, amount="99999999")
    with pytest.raises(UpstreamWriteFailed) as caught:
        settle_payment(payment=payment, context=system_context)
    assert isinstance(caught.value.cause, StellarInsufficientBalance)
    payment.refresh_from_db()
    assert payment.status == LedgerStatus.FAILED
    assert payment.error_code == "STELLAR_INSUFFICIENT_BALANCE"
    assert payment.error_details["result_codes"]["operations"] == ["op_underfunded"]
    assert PaymentEvent.objects.filter(payment=payment, kind="payment.failed").exists()
    assert network.balance(noc_wallet, *usdc) == 0


def test_a_penalty_is_paid_by_the_operator_to_the_pool(
    organization, network, usdc, system_context, pool_address
):
    before = network.balance(pool_address, *usdc)
    payment = request_payment(
        organization=organization,
        payment_type="penalty",
        amount=Decimal("1000"),
        idempotency_key="sla:OUT002:3:penalty",
        context=system_context,
    )
    assert payment.to_address == pool_address and payment.from_address != pool_address
    settle_payment(payment=payment, context=system_context)
    assert network.balance(pool_address, *usdc) == before + 1000


def test_an_organization_without_stellar_keys_is_not_connected(
    other_organization, network, noc_wallet, system_context
):
    with pytest.raises(UpstreamNotConnected):
        reward(other_organization, noc_wallet, system_context)
    assert not Payment.objects.exists()
