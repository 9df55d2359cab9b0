"""POST /api/v1/payments/process-sla and /api/v1/sla/execute-payment against the Horizon
simulator: the outages app's SLA result paid once through the ledger, whatever is retried,
raced or lost; one organization only."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient
from stellar_sdk import Keypair

from accounts.models import Role
from core.context import Context
from core.errors import Conflict
from core.models import DomainEvent
from core.tests.api import assert_error_envelope, assert_success_envelope
from outages import services as outage_services
from outages.models import SlaResult, TimelineEntry, TimelineKind
from outages.tests.factories import OutageFactory
from payments.models import Attestation, LedgerStatus, Payment
from payments.services import settle_outage
from payments.tests.factories import WalletFactory

pytestmark = pytest.mark.django_db(transaction=True)

PROCESS = "/api/v1/payments/process-sla"
EXECUTE = "/api/v1/sla/execute-payment"


@pytest.fixture
def operator(make_user):
    return make_user(Role.OPERATOR, username="noc-operator")


@pytest.fixture
def client(operator) -> APIClient:
    client = APIClient()
    client.force_authenticate(operator)
    return client


@pytest.fixture
def noc_team_wallet(noc_wallet, make_user) -> str:
    """``noc_wallet`` registered as a wallet of ``organization``."""
    WalletFactory(user=make_user(Role.OPERATOR), public_key=noc_wallet, funded=True)
    return noc_wallet


@pytest.fixture
def operator_address() -> str:
    return Keypair.from_secret(settings.STELLAR_OPERATOR_SECRET).public_key


def resolved(organization, minutes: int, severity="critical", **kwargs):
    """An outage of ``organization`` resolved ``minutes`` (and a few seconds) after detection."""
    detected = timezone.now() - timedelta(hours=2)
    outage = OutageFactory(
        organization=organization, severity=severity, detected_at=detected, **kwargs
    )
    outage, _ = outage_services.resolve_outage(
        outage=outage,
        context=Context.system(via="test"),
        resolved_at=detected + timedelta(minutes=minutes, seconds=20),
    )
    return outage


def paid_transactions(network, address) -> list[dict]:
    """Successful transactions of ``address`` that are payments of ours (not attestations)."""
    return [
        tx
        for tx in network.ledger_transactions(account_id=address, successful=True)
        if Payment.objects.filter(transaction_hash=tx["hash"]).exists()
    ]


def test_process_sla_pays_a_reward_once_and_the_outage_shows_it(
    client, organization, network, noc_team_wallet, usdc, pool_address
):
    outage = resolved(organization, 5)  # critical, ratio 33: exceptional, 2 x 750

    response = client.post(
        PROCESS, {"outage_id": outage.public_id, "noc_team_wallet": noc_team_wallet}, format="json"
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert_success_envelope(body)
    data = body["data"]
    assert data["outage_id"] == outage.public_id
    assert data["sla_result"]["status"] == "met"
    assert data["sla_result"]["amount"] == 1500.0
    assert data["sla_result"]["payment_type"] == "reward"
    payment = data["payment"]
    assert payment["amount"] == 1500.0 and payment["asset"] == "USDC"
    assert (payment["from"], payment["to"]) == (pool_address, noc_team_wallet)
    assert payment["status"] == "confirmed" and payment["transaction_hash"]
    assert data["contract_invocation"]["status"] == "confirmed"
    assert network.balance(noc_team_wallet, *usdc) == Decimal("1500")

    row = Payment.objects.get()
    assert row.outage == outage and row.attestation == Attestation.objects.get()
    detail = client.get(f"/api/v1/outages/{outage.public_id}").json()["data"]
    assert detail["stellar_payment"]["transaction_hash"] == payment["transaction_hash"]
    assert detail["sla_status"]["payment_executed"] is True
    assert detail["sla_status"]["smart_contract_invoked"] is True
    assert TimelineEntry.objects.filter(outage=outage, kind=TimelineKind.PAYMENT).exists()
    completed = DomainEvent.objects.get(name="payment.completed")
    assert completed.organization_id == organization.pk
    assert completed.data["outage_id"] == outage.public_id


def test_execute_payment_pays_a_penalty_from_the_operator_and_a_retry_is_the_same_payment(
    client, organization, network, usdc, pool_address, operator_address
):
    outage = resolved(organization, 25)  # critical: violated, -(25 - 15) x 100
    before = network.balance(pool_address, *usdc)
    request = {"outage_id": outage.public_id, "operator_wallet": operator_address}

    first = client.post(EXECUTE, request, format="json")

    assert first.status_code == 200, first.content
    data = first.json()["data"]
    assert data["payment"]["amount"] == 1000.0
    assert (data["payment"]["from"], data["payment"]["to"]) == (operator_address, pool_address)
    assert data["payment"]["status"] == "confirmed"
    assert data["estimated_confirmation"]
    transactions = len(network.ledger_transactions())

    again = client.post(EXECUTE, request, format="json")
    replayed = client.post(PROCESS, {"outage_id": outage.public_id}, format="json")

    assert again.status_code == replayed.status_code == 200
    assert again.json()["data"]["payment"] == data["payment"]
    assert replayed.json()["data"]["payment"]["id"] == data["payment"]["id"]
    assert len(network.ledger_transactions()) == transactions  # nothing sent again
    assert network.balance(pool_address, *usdc) == before + 1000
    assert Payment.objects.count() == 1


def test_an_idempotency_key_replays_the_first_answer(
    client, organization, network, noc_team_wallet
):
    outage = resolved(organization, 10)
    request = {"outage_id": outage.public_id, "noc_team_wallet": noc_team_wallet}
    headers = {"HTTP_IDEMPOTENCY_KEY": "settle-1"}

    first = client.post(PROCESS, request, format="json", **headers)
    again = client.post(PROCESS, request, format="json", **headers)

    assert first.status_code == again.status_code == 200
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json()["data"]["payment"] == first.json()["data"]["payment"]


def test_two_workers_settling_the_same_outage_at_once_pay_once(
    organization, network, noc_team_wallet, usdc
):
    outage = resolved(organization, 12)  # ratio 80: good, 750
    start = threading.Barrier(2)
    answers: list = []

    def settle():
        try:
            start.wait(timeout=10)
            settled = settle_outage(
                outage=outage, context=Context.system(via="test"), noc_wallet=noc_team_wallet
            )
            answers.append(settled.payment.pk)
        except Conflict as exc:  # the other worker holds the settlement
            answers.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=settle) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)

    assert len(answers) == 2
    assert any(isinstance(answer, int) for answer in answers)
    payment = Payment.objects.get()
    if payment.status != LedgerStatus.CONFIRMED:  # the loser may have stopped it half-way
        settle_outage(outage=outage, context=Context.system(via="test"))
        payment.refresh_from_db()
    assert payment.status == LedgerStatus.CONFIRMED
    assert len(paid_transactions(network, noc_team_wallet)) == 1
    assert network.balance(noc_team_wallet, *usdc) == Decimal("750")


def test_an_outage_not_resolved_owes_nothing_yet_and_says_so(client, organization, network):
    outage = OutageFactory(organization=organization)
    transactions = len(network.ledger_transactions())

    response = client.post(EXECUTE, {"outage_id": outage.public_id}, format="json")

    assert response.status_code == 409
    body = response.json()
    assert_error_envelope(body, "CONFLICT")
    assert "not resolved" in body["error"]["message"]
    assert not Payment.objects.exists() and not Attestation.objects.exists()
    assert len(network.ledger_transactions()) == transactions


def test_a_reward_without_a_wallet_to_pay_is_refused_before_anything_is_paid(
    client, organization, network
):
    outage = resolved(organization, 10)
    response = client.post(PROCESS, {"outage_id": outage.public_id}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["details"]["field"] == "noc_team_wallet"
    assert not Payment.objects.exists()


def test_another_organizations_outage_wallet_or_operator_is_not_reachable(
    client, organization, other_organization, network, noc_wallet, operator_address, make_user
):
    theirs = resolved(other_organization, 25)
    response = client.post(EXECUTE, {"outage_id": theirs.public_id}, format="json")
    assert response.status_code == 404
    assert_error_envelope(response.json(), "NOT_FOUND")

    ours = resolved(organization, 10)
    WalletFactory(
        user=make_user(Role.OPERATOR, organization=other_organization), public_key=noc_wallet
    )
    response = client.post(
        PROCESS, {"outage_id": ours.public_id, "noc_team_wallet": noc_wallet}, format="json"
    )
    assert response.status_code == 422
    assert "noc_team_wallet" in str(response.json()["error"]["details"])

    penalty = resolved(organization, 25)
    response = client.post(
        EXECUTE,
        {"outage_id": penalty.public_id, "operator_wallet": Keypair.random().public_key},
        format="json",
    )
    assert response.status_code == 422
    assert "operator_wallet" in str(response.json()["error"]["details"])
    assert not Payment.objects.exists()
    assert network.balance(noc_wallet, "USDC", settings.STELLAR_USDC_ISSUER) == 0


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"outage_id": "OUT000001", "amount": 5},
        {"outage_id": "OUT000001", "noc_team_wallet": "GNOTAKEY"},
        {"outage_id": "OUT000001", "operator_wallet": "GNOTAKEY"},
    ],
    ids=["missing", "unknown-field", "bad-wallet", "bad-operator"],
)
def test_bad_input_is_refused_in_the_envelope_and_changes_nothing(
    client, organization, network, body
):
    outage = resolved(organization, 25)
    results = SlaResult.objects.count()
    body = {**body, "outage_id": outage.public_id} if "outage_id" in body else body

    response = client.post(EXECUTE, body, format="json")

    assert response.status_code == 422, response.content
    assert_error_envelope(response.json(), "VALIDATION_ERROR")
    assert SlaResult.objects.count() == results
    assert not Payment.objects.exists() and not Attestation.objects.exists()


def test_horizon_down_answers_503_records_nothing_as_paid_and_a_retry_pays_once(
    client, organization, network, noc_team_wallet, usdc
):
    outage = resolved(organization, 5)
    request = {"outage_id": outage.public_id, "noc_team_wallet": noc_team_wallet}
    network.set_faults(error_rate=1.0, error_status=503, paths="horizon/")

    response = client.post(PROCESS, request, format="json")

    assert response.status_code in (502, 503, 504), response.content
    assert not Payment.objects.filter(status=LedgerStatus.CONFIRMED).exists()
    assert network.balance(noc_team_wallet, *usdc) == 0

    network.clear_faults()
    retried = client.post(PROCESS, request, format="json")
    assert retried.status_code == 200, retried.content
    assert network.balance(noc_team_wallet, *usdc) == Decimal("1500")
    assert len(paid_transactions(network, noc_team_wallet)) == 1


def test_an_underfunded_operator_is_refused_recorded_failed_and_never_paid_again(
    client, organization, network, usdc, operator_address, pool_address
):
    network.create_account(operator_address, xlm="100", assets={usdc: 0})  # nothing to pay with
    outage = resolved(organization, 25)
    before = network.balance(pool_address, *usdc)

    response = client.post(EXECUTE, {"outage_id": outage.public_id}, format="json")

    assert response.status_code == 409, response.content  # the client can fix it: fund it
    assert_error_envelope(response.json(), "STELLAR_INSUFFICIENT_BALANCE")
    payment = Payment.objects.get()
    assert payment.status == LedgerStatus.FAILED
    assert DomainEvent.objects.filter(name="payment.failed").exists()

    again = client.post(EXECUTE, {"outage_id": outage.public_id}, format="json")
    assert again.status_code == 409
    assert again.json()["error"]["details"]["payment_id"] == payment.pk
    assert network.balance(pool_address, *usdc) == before


def test_the_demo_settles_its_latest_violated_outage_once(
    organization, network, usdc, pool_address
):
    """``seed_demo``'s settlement (``payments.tasks.settle_demo_outage``): the latest resolved
    outage whose SLA was violated is attested and its penalty paid; met ones are passed over;
    a second run pays nothing more."""
    from payments.tasks import settle_demo_outage

    violated = resolved(organization, 25)  # critical: -(25 - 15) x 100
    resolved(organization, 10, severity="low")  # later, met: a reward, not the demo's penalty
    before = network.balance(pool_address, *usdc)

    assert settle_demo_outage.delay(organization.slug).get() == violated.public_id
    assert settle_demo_outage.delay(organization.slug).get() == violated.public_id

    [payment] = Payment.objects.all()
    assert (payment.outage_id, payment.status) == (violated.pk, LedgerStatus.CONFIRMED)
    assert network.balance(pool_address, *usdc) == before + 1000
    assert Attestation.objects.filter(organization=organization).count() == 1
