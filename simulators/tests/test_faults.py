"""Injected faults, the /sims rate limit and the request log."""

import time

import pytest
import requests
from django.conf import settings
from django.core.management import call_command

from simulators.onence import testing
from simulators.onence.models import OnenceOrder, OnenceRequestLog, OnenceSms
from simulators.tests.conftest import BASE, OnenceApi, basic

pytestmark = pytest.mark.django_db


def statuses(onence, path, count):
    return [onence.get(path).status_code for _ in range(count)]


def test_error_rate_fails_an_exact_share_starting_with_the_first(onence, fleet):
    testing.set_faults(error_rate=0.5, error_status=503, enforce_rate_limit=False)
    assert statuses(onence, "/v2/sims", 4) == [503, 200, 503, 200]


def test_v2_errors_use_the_v2_body_and_v1_the_gateway_message(onence, fleet):
    testing.set_faults(error_rate=1.0, enforce_rate_limit=False)
    v2 = onence.get("/v2/sims").json()
    assert v2 == {
        "error_code": 1500,
        "error_token": "InternalServerError",
        "message": v2["message"],
    }
    assert set(onence.get("/v1/orders").json()) == {"message"}


def test_throttle_answers_429_with_retry_after(onence, fleet):
    testing.set_faults(throttle_rate=1.0, retry_after=7, enforce_rate_limit=False)
    response = onence.get("/v2/sims")
    assert response.status_code == 429
    assert response["Retry-After"] == "7"


def test_latency_delays_the_answer(onence, fleet):
    testing.set_faults(latency_ms=200, enforce_rate_limit=False)
    started = time.perf_counter()
    assert onence.get("/v1/products").status_code == 200
    assert time.perf_counter() - started >= 0.2


def test_faults_can_target_paths_and_accounts(client, onence, fleet):
    testing.register_account(client_id="calm", client_secret="calm-secret")
    calm = OnenceApi(client, "calm", "calm-secret")
    testing.set_faults(client_id=settings.ONENCE_CLIENT_ID, error_rate=1.0, paths="/usage,/quota")
    testing.set_faults(enforce_rate_limit=False)
    assert onence.get(f"/v1/sims/{fleet[0]}/usage").status_code == 500
    assert onence.get(f"/v2/sims/{fleet[0]}/quota/data").status_code == 500
    assert onence.get(f"/v2/sims/{fleet[0]}").status_code == 200
    assert calm.get("/v1/products").status_code == 200


def test_clear_faults_restores_normal_answers(onence, fleet):
    testing.set_faults(error_rate=1.0)
    testing.clear_faults()
    testing.set_faults(enforce_rate_limit=False)
    assert onence.get("/v2/sims").status_code == 200


def test_token_ttl_fault_issues_short_tokens(client, onence, fleet):
    testing.set_faults(token_ttl_seconds=5, enforce_rate_limit=False)
    onence.reauthenticate()
    testing.advance_time(seconds=6)
    assert onence.get("/v2/sims").status_code == 401


def test_token_endpoint_answers_short_expires_in(client, onence):
    testing.set_faults(client_id=settings.ONENCE_CLIENT_ID, token_ttl_seconds=30)
    response = client.post(
        f"{BASE}/oauth/token",
        {"grant_type": "client_credentials"},
        "application/json",
        HTTP_AUTHORIZATION=basic(settings.ONENCE_CLIENT_ID, settings.ONENCE_CLIENT_SECRET),
    )
    assert response.json()["expires_in"] == 30


def test_ambiguous_top_up_is_applied_but_answered_500(onence, fleet):
    testing.set_faults(ambiguous_writes=True, enforce_rate_limit=False)
    before = testing.get_sim(fleet[0])["sms_remaining"]
    assert onence.post(f"/v2/sims/{fleet[0]}/topup").status_code == 500
    assert OnenceOrder.objects.count() == 1
    assert testing.get_sim(fleet[0])["sms_total"] == before + 250
    assert onence.get(f"/v2/sims/{fleet[0]}").status_code == 200  # reads are unaffected


def test_ambiguous_sms_send_is_applied_then_hangs(onence, fleet):
    testing.set_faults(ambiguous_writes=True, hang_seconds=0.3, enforce_rate_limit=False)
    started = time.perf_counter()
    response = onence.post(f"/v2/sims/{fleet[0]}/sms", {"payload": "once"})
    assert time.perf_counter() - started >= 0.3
    assert response.status_code == 201
    assert OnenceSms.objects.filter(payload="once").count() == 1
    assert testing.requests_received(path_contains="/sms")[-1]["fault"] == "ambiguous-hang"


def test_hanging_request_times_the_client_out(live_server, transactional_db):
    testing.set_faults(hang_seconds=1.0, paths="/v1/products")
    url = f"{live_server.url}{BASE}/oauth/token"
    token = requests.post(
        url,
        json={"grant_type": "client_credentials"},
        auth=(settings.ONENCE_CLIENT_ID, settings.ONENCE_CLIENT_SECRET),
        timeout=5,
    ).json()["access_token"]
    with pytest.raises(requests.Timeout):
        requests.get(
            f"{live_server.url}{BASE}/v1/products",
            headers={"Authorization": f"Bearer {token}"},
            timeout=0.3,
        )
    time.sleep(1.0)  # let the server thread finish before the database is flushed


def test_rate_limit_answers_429_beyond_ten_per_second_on_sims(onence, fleet):
    testing.set_faults(enforce_rate_limit=True)
    codes = statuses(onence, "/v2/sims", 25)
    assert 429 in codes
    limited = onence.get("/v2/sims")
    if limited.status_code == 429:
        assert limited["Retry-After"] == "1"
    assert set(statuses(onence, "/v1/products", 15)) == {200}


def test_request_log_counts_calls_and_can_be_pruned(onence, fleet):
    onence.get("/v2/sims")
    onence.get(f"/v2/sims/{fleet[0]}")
    onence.put(f"/v2/sims/{fleet[0]}", {"label": "x"})
    gets = testing.requests_received(path_contains="/v2/sims", method="GET")
    assert [row["status"] for row in gets] == [200, 200]
    assert testing.requests_received(method="put")[0]["client_id"] == settings.ONENCE_CLIENT_ID
    OnenceRequestLog.objects.update(created_at="2000-01-01T00:00:00Z")
    call_command("simulate_1nce", "prune-log", "--keep-hours", "1")
    assert testing.requests_received() == []
