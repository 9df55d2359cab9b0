"""Each PMNL failure reaches the caller as seed 003 and the issue map it, with sanitised
messages, an audit entry, and nothing written to the mirror."""

import socket
import threading

import pytest
from rest_framework.test import APIClient

from accounts.models import AuditLog
from accounts.tests.factories import UserFactory
from provisioning.clients import pmnl_client_for
from provisioning.models import PmnlAccount, ProvisioningRequest, Subscriber
from provisioning.tests.conftest import create_body
from provisioning.tests.factories import CustomerAuthorizationFactory
from upstream.pmnl.client import TIMED_OUT, UNAVAILABLE

pytestmark = pytest.mark.django_db(transaction=True)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def assert_nothing_written():
    assert not Subscriber.objects.exists()
    assert not ProvisioningRequest.objects.exists()


def test_connection_refused_is_503_with_the_seed_message(pmnl, api, settings):
    settings.PMNL_BASE_URL = f"http://127.0.0.1:{closed_port()}/v5"
    response = api.post("/api/v1/subscribers", create_body(), format="json")
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "SERVICE_UNAVAILABLE"
    assert error["message"] == UNAVAILABLE
    assert_nothing_written()
    entry = AuditLog.objects.get(operation="CREATE")
    assert entry.status == "failed" and entry.response_status == 503


def test_simulator_refusing_is_503(pmnl, api):
    pmnl.set_faults(mode="refused", paths="/v5/")
    response = api.get("/api/v1/subscribers/89312400000001234567")
    assert response.status_code == 503
    assert response.json()["error"]["message"] == UNAVAILABLE
    entry = AuditLog.objects.get(operation="READ")
    assert (entry.status, entry.response_status) == ("failed", 503)


def test_timeout_is_504_and_audited(pmnl, api, settings):
    settings.PMNL_READ_TIMEOUT = 0.5
    settings.UPSTREAM_MAX_RETRIES = 0
    pmnl.set_faults(mode="timeout", hang_seconds=1.5, paths="/v5/subscribers")
    response = api.post("/api/v1/subscribers", create_body(), format="json")
    assert response.status_code == 504
    error = response.json()["error"]
    assert error["code"] == "GATEWAY_TIMEOUT" and error["message"] == TIMED_OUT
    assert_nothing_written()
    response = api.get("/api/v1/subscribers/31612345678")
    assert response.status_code == 504
    assert AuditLog.objects.filter(response_status=504).count() == 2


def test_server_error_is_502_without_upstream_internals(pmnl, api):
    pmnl.set_faults(mode="error", error_status=500, paths="/v5/")
    response = api.post("/api/v1/subscribers", create_body(), format="json")
    assert response.status_code == 502
    body = response.content.decode()
    assert "stack trace" not in body and "db-7" not in body
    assert response.json()["error"]["code"] == "UPSTREAM_ERROR"
    assert_nothing_written()
    assert AuditLog.objects.get(operation="CREATE").response_status == 502


def test_unknown_subscriber_is_404_and_audited(pmnl, api):
    response = api.get("/api/v1/subscribers/89312400000009999999")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"
    entry = AuditLog.objects.get(operation="READ")
    assert (entry.status, entry.response_status, entry.resource_id) == (
        "failed",
        404,
        "89312400000009999999",
    )


def test_wrong_api_key_is_502_and_says_nothing_of_it(pmnl, api, settings):
    settings.PMNL_API_KEY = "wrong-key"
    response = api.get("/api/v1/subscribers/89312400000001234567")
    assert response.status_code == 502
    assert "wrong-key" not in response.content.decode()


def test_token_is_fetched_once_with_basic_auth_and_reused(pmnl, api, organization):
    for _ in range(3):
        api.get("/api/v1/subscribers/89312400000001234567")
    token_calls = pmnl.requests_received(path_contains="/oauth2/token")
    assert len(token_calls) == 1 and token_calls[0]["status"] == 200
    assert len(pmnl.requests_received(path_contains="/v5/subscribers/")) == 3


def test_token_refreshed_30_seconds_before_expiry(pmnl, organization, clock):
    pmnl.set_faults(token_ttl_seconds=100)
    client = pmnl_client_for(organization=organization)
    first = client.auth.token()
    clock.advance(69)
    assert client.auth.token() == first
    clock.advance(2)  # 71 s: inside the 30 s buffer
    assert client.auth.token() != first
    assert len(pmnl.requests_received(path_contains="/oauth2/token")) == 2


def test_one_refresh_at_a_time(pmnl, organization):
    client = pmnl_client_for(organization=organization)
    tokens, barrier = [], threading.Barrier(6)

    def fetch():
        barrier.wait()
        tokens.append(client.auth.token())

    threads = [threading.Thread(target=fetch) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(tokens)) == 1 and len(tokens) == 6
    assert len(pmnl.requests_received(path_contains="/oauth2/token")) == 1


def test_an_account_with_anothers_client_id_and_a_wrong_secret_gets_no_cached_token(
    pmnl, api, settings, other_organization
):
    """A client id is no secret: an organization that configures the default account's client
    id (and even its API key) with a wrong secret is refused by PMNL, never lent the token
    the default account's owner has cached."""
    assert api.get("/api/v1/subscribers/89312400000001234567").status_code == 404  # token cached
    PmnlAccount.objects.create(
        organization=other_organization,
        base_url=settings.PMNL_BASE_URL,
        token_url=settings.PMNL_TOKEN_URL,
        client_id=settings.PMNL_CLIENT_ID,
        client_secret="guessed-secret",
        api_key=settings.PMNL_API_KEY,
    )
    intruder = UserFactory(organization=other_organization)
    CustomerAuthorizationFactory(user=intruder, cust_id="9123456")
    client = APIClient()
    client.force_authenticate(intruder)

    response = client.get("/api/v1/subscribers/89312400000001234567")
    assert response.status_code == 502
    token_calls = pmnl.requests_received(path_contains="/oauth2/token")
    assert [call["status"] for call in token_calls] == [200, 401]
    assert len(pmnl.requests_received(path_contains="/v5/subscribers/")) == 1  # ours only
