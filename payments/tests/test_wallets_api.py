"""Wallets through the API against the Horizon simulator: register or create, fund, read,
balances in seed 004's shape; one organization only; seed 004's payment rate limit."""

import pytest
from django.conf import settings
from stellar_sdk import Keypair

from accounts.models import Role
from accounts.tests.factories import UserFactory
from core.tests.api import assert_error_envelope, assert_success_envelope
from payments.models import Wallet
from payments.tests.factories import WalletFactory

pytestmark = pytest.mark.django_db(transaction=True)

CREATE = "/api/v1/wallets/create"


def test_registering_an_own_key_reads_funded_from_horizon(operator_client, network, usdc):
    address = Keypair.random().public_key
    network.create_account(address, xlm="5")
    response = operator_client.post(CREATE, {"public_key": address}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert_success_envelope(body)
    assert body["data"]["public_key"] == address
    assert body["data"]["funded"] is True and body["data"]["custodial"] is False


def test_a_custodial_wallet_is_created_unfunded_then_funded_by_friendbot_with_a_trustline(
    operator_client, network, usdc
):
    response = operator_client.post(CREATE, {}, format="json")
    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert data["custodial"] is True and data["funded"] is False
    assert data["message"] == "Wallet created. Please fund with at least 1 XLM to activate."
    assert "secret" not in response.content.decode().lower()

    funded = operator_client.post(f"/api/v1/wallets/{data['user_id']}/fund", format="json")
    assert funded.status_code == 200, funded.content
    assert funded.json()["data"]["funded"] is True
    assert network.balance(data["public_key"]) > 0
    assert network.balance(data["public_key"], *usdc) == 0  # trusts USDC: can be paid


def test_a_malformed_key_is_refused_and_nothing_is_stored(operator_client, network):
    response = operator_client.post(CREATE, {"public_key": "GNOTAKEY"}, format="json")
    assert response.status_code == 422
    assert_error_envelope(response.json(), "VALIDATION_ERROR")
    assert not Wallet.objects.exists()


def test_a_second_wallet_for_the_same_user_conflicts(operator_client, network):
    assert operator_client.post(CREATE, {}, format="json").status_code == 201
    response = operator_client.post(CREATE, {}, format="json")
    assert response.status_code == 409
    assert Wallet.objects.count() == 1


def test_the_wallet_of_a_user_is_read_in_seed_004s_shape(operator_client, organization, network):
    wallet = WalletFactory(user=UserFactory(organization=organization))
    response = operator_client.get(f"/api/v1/wallets/{wallet.user_id}")
    assert response.status_code == 200, response.content
    assert set(response.json()["data"]) == {
        "user_id",
        "public_key",
        "custodial",
        "created_at",
        "last_updated",
        "funded",
        "active",
    }


def test_another_organizations_wallet_is_not_found(operator_client, other_organization, network):
    wallet = WalletFactory(user=UserFactory(organization=other_organization))
    response = operator_client.get(f"/api/v1/wallets/{wallet.user_id}")
    assert response.status_code == 404
    assert_error_envelope(response.json(), "NOT_FOUND")


def test_an_operator_cannot_create_a_wallet_for_another_user_but_an_admin_can(
    client_for, organization, other_organization, network
):
    colleague = UserFactory(organization=organization)
    stranger = UserFactory(organization=other_organization)
    operator = client_for(Role.OPERATOR)
    assert operator.post(CREATE, {"user_id": colleague.pk}, format="json").status_code == 403
    admin = client_for(Role.ADMIN)
    assert admin.post(CREATE, {"user_id": stranger.pk}, format="json").status_code == 404
    response = admin.post(CREATE, {"user_id": colleague.pk}, format="json")
    assert response.status_code == 201 and response.json()["data"]["user_id"] == colleague.pk


def test_seed_004s_example_names_the_user_by_username(
    client_for, organization, other_organization, network
):
    """``{"user_id": "user123"}``: a username of the caller's organization, never another's."""
    engineer = UserFactory(organization=organization, username="user123")
    UserFactory(organization=other_organization, username="user124")
    admin = client_for(Role.ADMIN)

    response = admin.post(CREATE, {"user_id": "user123"}, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["data"]["user_id"] == engineer.pk
    read = admin.get("/api/v1/wallets/user123")
    assert read.status_code == 200 and read.json()["data"]["user_id"] == engineer.pk
    assert admin.post(CREATE, {"user_id": "user124"}, format="json").status_code == 404
    assert admin.get("/api/v1/wallets/user124").status_code == 404


def test_balance_answers_every_asset_in_seed_004s_shape(operator_client, network, usdc):
    address = Keypair.random().public_key
    network.create_account(address, xlm="1000", assets={usdc: "5000"})
    response = operator_client.get(f"/api/v1/wallets/{address}/balance")
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert data["address"] == address and data["last_updated"]
    assert data["balances"] == {
        "XLM": {"balance": "1000.0000000", "asset_type": "native"},
        "USDC": {
            "balance": "5000.0000000",
            "asset_type": "credit_alphanum4",
            "asset_code": "USDC",
            "asset_issuer": settings.STELLAR_USDC_ISSUER,
        },
    }


def test_balance_of_a_malformed_address_is_400_and_of_an_unfunded_one_404(operator_client, network):
    bad = operator_client.get("/api/v1/wallets/GABC/balance")
    assert bad.status_code == 400
    assert_error_envelope(bad.json(), "INVALID_STELLAR_ADDRESS")
    missing = operator_client.get(f"/api/v1/wallets/{Keypair.random().public_key}/balance")
    assert missing.status_code == 404
    assert_error_envelope(missing.json(), "NOT_FOUND")


def test_horizon_down_answers_503(operator_client, settings):
    settings.HORIZON_URL = "http://127.0.0.1:9"
    settings.UPSTREAM_MAX_RETRIES = 0
    response = operator_client.get(f"/api/v1/wallets/{Keypair.random().public_key}/balance")
    assert response.status_code == 503
    assert_error_envelope(response.json(), "SERVICE_UNAVAILABLE")


def test_payment_operations_are_limited_to_ten_a_minute_per_user(operator_client, settings):
    settings.HORIZON_URL = "http://127.0.0.1:9"  # refused before Horizon matters
    answers = [
        operator_client.post(CREATE, {"public_key": "bad"}, format="json").status_code
        for _ in range(11)
    ]
    assert answers[:10] == [422] * 10
    assert answers[10] == 429
    response = operator_client.post(CREATE, {"public_key": "bad"}, format="json")
    assert_error_envelope(response.json(), "RATE_LIMIT_EXCEEDED")
    assert response["Retry-After"]
    # Reads are not payment operations.
    assert operator_client.get("/api/v1/payments/history").status_code == 200
