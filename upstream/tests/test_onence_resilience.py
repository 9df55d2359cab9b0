"""Tokens, retries, timeouts and the shared rate limit, against the 1NCE simulator's faults."""

import threading
import time
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from prometheus_client import REGISTRY

from simulators.onence import testing
from upstream.exceptions import UpstreamAuthError, UpstreamTimeout, UpstreamUnavailable
from upstream.onence import OnenceCredentials

pytestmark = pytest.mark.django_db(transaction=True)


def metric(name, **labels):
    return REGISTRY.get_sample_value(name, labels) or 0.0


def retries(operation, reason):
    return metric(
        "fleetops_upstream_retries_total", upstream="1nce", operation=operation, reason=reason
    )


def token_requests():
    return testing.requests_received(path_contains="/oauth/token", method="POST")


@pytest.fixture
def fleet():
    return testing.seed_fleet(sims=30, days=3)


def test_token_is_fetched_once_and_shared_through_the_cache(make_onence, fleet):
    first, second = make_onence(), make_onence()
    first.get_sim(fleet[0])
    first.get_sim(fleet[1])
    second.get_sim(fleet[2])  # another "process": same account, same cached token
    assert len(token_requests()) == 1
    stored = cache.get(first.auth.cache_key)
    assert stored["access_token"]
    assert "fleetops-demo" not in first.auth.cache_key


def test_token_is_refreshed_before_it_expires(onence, fleet, settings, clock):
    settings.ONENCE_TOKEN_REFRESH_MARGIN = 600  # longer than the TTL: refresh at half-life
    testing.set_faults(token_ttl_seconds=2)
    onence.get_sim(fleet[0])
    onence.get_sim(fleet[0])
    assert len(token_requests()) == 1  # still before half-life
    clock.advance(1.2)  # past half-life, before 1NCE's expiry
    onence.get_sim(fleet[0])
    assert len(token_requests()) == 2
    assert all(r["status"] == 200 for r in testing.requests_received(path_contains="/v2/sims"))


def test_concurrent_callers_share_one_refresh(make_onence, fleet):
    clients = [make_onence() for _ in range(8)]
    barrier = threading.Barrier(len(clients))
    errors = []

    def call(client, iccid):
        barrier.wait()
        try:
            client.get_sim(iccid)
        except Exception as exc:
            errors.append(exc)

    threads = [
        threading.Thread(target=call, args=(client, fleet[i])) for i, client in enumerate(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(token_requests()) == 1


def test_a_refused_token_is_replaced_once_and_the_call_succeeds(onence, fleet):
    onence.get_sim(fleet[0])
    stored = cache.get(onence.auth.cache_key)
    cache.set(onence.auth.cache_key, {**stored, "access_token": "revoked-token"})
    assert onence.get_sim(fleet[1]).iccid == fleet[1]
    statuses = [r["status"] for r in testing.requests_received(path_contains="/v2/sims")]
    assert statuses == [200, 401, 200]
    assert len(token_requests()) == 2


def test_bad_credentials_raise_auth_error_without_the_secret(
    make_onence, onence_credentials, fleet
):
    wrong = OnenceCredentials(
        base_url=onence_credentials.base_url,
        client_id=onence_credentials.client_id,
        client_secret="wrong-secret-value",
    )
    rejected = metric("fleetops_upstream_auth_total", upstream="1nce", outcome="rejected")
    with pytest.raises(UpstreamAuthError) as caught:
        make_onence(wrong).get_sim(fleet[0])
    assert "rejected the API credentials" in str(caught.value)
    assert caught.value.status_code == 400
    assert "wrong-secret-value" not in str(caught.value)
    assert "wrong-secret-value" not in str(caught.value.public_details)
    assert (
        metric("fleetops_upstream_auth_total", upstream="1nce", outcome="rejected") == rejected + 1
    )


def test_token_endpoint_down_is_unavailable_not_bad_credentials(onence, fleet):
    testing.set_faults(error_rate=1.0, error_status=503, paths="/oauth/token")
    with pytest.raises(UpstreamUnavailable, match="after 4 attempts"):
        onence.get_sim(fleet[0])
    assert len(token_requests()) == 4


def test_reads_retry_5xx(onence, fleet):
    testing.set_faults(error_rate=0.5, error_status=503, paths="/v2/sims/")
    before = retries("get_sim", "5xx")
    for iccid in fleet[:4]:
        assert onence.get_sim(iccid).iccid == iccid
    assert retries("get_sim", "5xx") - before == 4


def test_reads_honour_retry_after_on_429(onence, fleet):
    testing.set_faults(throttle_rate=0.5, retry_after=1, paths="/quota/data")
    before = retries("data_quota", "429")
    started = time.monotonic()
    onence.get_data_quota(fleet[0])
    assert time.monotonic() - started >= 1.0
    assert retries("data_quota", "429") - before == 1


def test_top_up_is_not_retried_after_an_ambiguous_500(onence, fleet):
    testing.set_faults(ambiguous_writes=True, error_status=500, paths="/topup")
    total_before = testing.get_sim(fleet[0])["data_total_mb"]
    with pytest.raises(UpstreamUnavailable, match="not retried"):
        onence.top_up(fleet[0])
    assert len(testing.requests_received(path_contains="/topup", method="POST")) == 1
    # It was applied: a retry would have bought a second top-up.
    assert testing.get_sim(fleet[0])["data_total_mb"] > total_before


def test_hanging_upstream_raises_timeout_reads_retried_writes_not(onence, fleet, settings):
    settings.UPSTREAM_READ_TIMEOUT = 0.3
    onence.get_sim(fleet[0])  # token first, outside the fault
    testing.set_faults(hang_seconds=0.8, paths="/quota/sms")
    with pytest.raises(UpstreamTimeout):
        onence.get_sms_quota(fleet[0])
    assert len(testing.requests_received(path_contains="/quota/sms")) >= 1
    testing.set_faults(ambiguous_writes=True, hang_seconds=0.8, paths="/reset")
    with pytest.raises(UpstreamTimeout, match="not retried"):
        onence.reset_connectivity(fleet[0])
    time.sleep(1.0)  # let the simulator finish and log the hanging requests
    assert len(testing.requests_received(path_contains="/quota/sms")) == 4
    assert len(testing.requests_received(path_contains="/reset")) == 1


def test_two_clients_together_stay_under_ten_requests_per_second(make_onence, fleet):
    first, second = make_onence(), make_onence()
    first.get_sim(fleet[0])  # the token, and one /sims call
    started = time.monotonic()
    threads = [
        threading.Thread(target=lambda c=client: [c.get_sims_page(page_size=5) for _ in range(12)])
        for client in (first, second)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    received = testing.requests_received(path_contains="/v2/sims")
    assert len(received) == 25
    assert all(r["status"] == 200 for r in received)  # the simulator enforces 10/s with 429
    assert elapsed >= 2.3  # 24 calls spaced 0.105 s apart


def test_sync_walk_completes_through_20_percent_5xx(onence, fleet):
    testing.set_faults(error_rate=0.2, error_status=503, paths="/sims")
    before = sum(
        retries(op, "5xx")
        for op in ("list_sims", "sim_usage", "data_quota", "sms_quota", "sim_events")
    )
    sims = onence.list_sims(page_size=10)
    assert sorted(sim.iccid for sim in sims) == sorted(fleet)
    today = timezone.now().date()
    for sim in sims[:5]:
        assert onence.get_usage(sim.iccid, start=today - timedelta(days=2), end=today)
        onence.get_data_quota(sim.iccid)
        onence.get_sms_quota(sim.iccid)
        list(onence.iter_events(sim.iccid))
    after = sum(
        retries(op, "5xx")
        for op in ("list_sims", "sim_usage", "data_quota", "sms_quota", "sim_events")
    )
    failed = [r for r in testing.requests_received(path_contains="/sims") if r["status"] == 503]
    assert failed
    assert after - before == len(failed)
