"""The PMNL simulator over Django's test client: auth, subscriber state, request life cycle,
faults, and its command."""

import base64
import time

import pytest
from django.core.management import call_command

from simulators.pmnl import testing
from simulators.pmnl.models import PmnlSimFault, PmnlSimSubscriber

BASE = "/sim/pmnl"
pytestmark = pytest.mark.django_db


@pytest.fixture
def token(client):
    testing.register_account(client_id="sim-c", client_secret="sim-s", api_key="sim-k")
    basic = base64.b64encode(b"sim-c:sim-s").decode()
    response = client.post(
        f"{BASE}/oauth2/token",
        "grant_type=client_credentials",
        content_type="application/x-www-form-urlencoded",
        HTTP_AUTHORIZATION=f"Basic {basic}",
    )
    assert response.status_code == 200, response.content
    assert response.json()["expires_in"] == 3600
    return response.json()["access_token"]


def call(client, method, path, token, body=None, key="sim-k"):
    kwargs = {"HTTP_AUTHORIZATION": f"Bearer {token}", "HTTP_X_API_KEY": key}
    if body is not None:
        kwargs.update(data=body, content_type="application/json")
    return getattr(client, method)(f"{BASE}/v5{path}", **kwargs)


def test_token_needs_the_client_secret(client):
    testing.register_account(client_id="sim-c", client_secret="sim-s", api_key="sim-k")
    basic = base64.b64encode(b"sim-c:wrong").decode()
    response = client.post(
        f"{BASE}/oauth2/token",
        "grant_type=client_credentials",
        content_type="application/x-www-form-urlencoded",
        HTTP_AUTHORIZATION=f"Basic {basic}",
    )
    assert response.status_code == 401


def test_calls_need_a_token_and_the_api_key(client, token):
    assert call(client, "get", "/subscribers/31612345678", "nope").status_code == 401
    assert call(client, "get", "/subscribers/31612345678", token, key="x").status_code == 403
    assert call(client, "get", "/subscribers/31612345678", token).status_code == 404


def test_create_assigns_an_imsi_and_refuses_a_twin(client, token):
    body = testing.sample_payload(iccid="89312400000000000077", msisdn="31600000077")
    response = call(client, "post", "/subscribers", token, body)
    assert response.status_code == 200 and response.json()["status"] == "completed"
    row = PmnlSimSubscriber.objects.get(iccid=body["iccid"])
    assert row.imsi.startswith("20412") and len(row.imsi) == 15
    assert call(client, "post", "/subscribers", token, body).status_code == 409


def test_queued_request_moves_along_the_clock(client, token):
    # Processing lasts long enough that a poll lands in it on a loaded machine (a poll of 0.3 s
    # once stepped over the whole of it).
    testing.set_faults(queue_seconds=0.1, process_seconds=1.5)
    body = testing.sample_payload(iccid="89312400000000000078", msisdn="31600000078")
    response = call(client, "post", "/subscribers?queue_request=true", token, body)
    assert response.status_code == 202 and response.json()["status"] == "queued"
    request_id = response.json()["request_id"]
    seen = set()
    deadline = time.monotonic() + 15
    while "completed" not in seen and time.monotonic() < deadline:
        seen.add(call(client, "get", f"/requests/{request_id}", token).json()["status"])
        time.sleep(0.05)
    assert {"processing", "completed"} <= seen
    assert PmnlSimSubscriber.objects.filter(iccid=body["iccid"]).exists()


def test_faults(client, token):
    testing.set_faults(mode="error", error_status=502)
    assert call(client, "get", "/subscribers/31612345678", token).status_code == 502
    testing.set_faults(mode="refused")
    assert call(client, "get", "/subscribers/31612345678", token).status_code == 503
    testing.clear_faults()
    assert call(client, "get", "/subscribers/31612345678", token).status_code == 404


def test_command_seeds_and_sets_faults(settings):
    call_command("simulate_pmnl", "seed", "--subscribers", "3", verbosity=0)
    assert PmnlSimSubscriber.objects.filter(account__client_id=settings.PMNL_CLIENT_ID).count() == 3
    call_command("simulate_pmnl", "faults", "--mode", "timeout", "--hang-seconds", "2")
    fault = PmnlSimFault.objects.get(account__isnull=True)
    assert (fault.mode, fault.hang_seconds) == ("timeout", 2.0)
    call_command("simulate_pmnl", "faults", "--clear")
    assert not PmnlSimFault.objects.exists()
