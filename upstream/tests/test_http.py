"""The shared transport against a scripted server: retries, backoff, typed errors, metrics."""

import socket
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from prometheus_client import REGISTRY

from upstream.exceptions import (
    UpstreamAuthError,
    UpstreamNotFound,
    UpstreamRejected,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from upstream.http import RetryPolicy, UpstreamTransport, parse_retry_after
from upstream.tests.conftest import Scripted

FAST = RetryPolicy(max_retries=3, base_delay=0.01, max_delay=0.05)


def transport(url, **kwargs):
    kwargs.setdefault("retry_policy", FAST)
    return UpstreamTransport(upstream="test", display_name="Test", base_url=url, **kwargs)


def metric(name, **labels):
    return REGISTRY.get_sample_value(name, labels) or 0.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_backoff_is_full_jitter_under_an_exponential_cap():
    policy = RetryPolicy(base_delay=0.5, max_delay=4.0)
    assert [policy.backoff(n, rand=lambda: 1.0) for n in range(5)] == [0.5, 1.0, 2.0, 4.0, 4.0]
    assert policy.backoff(3, rand=lambda: 0.0) == 0.0
    assert policy.backoff(2, rand=lambda: 0.25) == 0.5


def test_retry_after_wins_over_backoff_up_to_its_cap():
    policy = RetryPolicy(max_retry_after=30.0)
    assert policy.delay(0, 7.0) == 7.0
    assert policy.delay(0, 3600.0) == 30.0


def test_retry_after_reads_seconds_and_http_dates():
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    assert parse_retry_after("3") == 3.0
    assert (
        parse_retry_after(format_datetime(now + timedelta(seconds=90), usegmt=True), now=now) == 90
    )
    assert parse_retry_after(format_datetime(now - timedelta(hours=1), usegmt=True), now=now) == 0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_read_retries_5xx_until_success(scripted_server):
    scripted_server.answer(Scripted(503), Scripted(500), Scripted(200, {"ok": True}))
    before = metric(
        "fleetops_upstream_retries_total", upstream="test", operation="r1", reason="5xx"
    )
    response = transport(scripted_server.url).request("GET", "/things", operation="r1")
    assert response.json() == {"ok": True}
    assert len(scripted_server.received) == 3
    after = metric("fleetops_upstream_retries_total", upstream="test", operation="r1", reason="5xx")
    assert after - before == 2
    assert (
        metric(
            "fleetops_upstream_calls_total",
            upstream="test",
            operation="r1",
            outcome="success",
            status="200",
        )
        >= 1
    )


def test_read_gives_up_after_max_retries_with_unavailable(scripted_server):
    scripted_server.answer(Scripted(502, {"message": "bad gateway"}))
    with pytest.raises(UpstreamUnavailable) as caught:
        transport(scripted_server.url).request("GET", "/things", operation="r2")
    assert len(scripted_server.received) == FAST.max_retries + 1
    assert caught.value.status_code == 502
    assert "after 4 attempts" in str(caught.value)


def test_429_retry_after_is_honoured(scripted_server):
    scripted_server.answer(Scripted(429, headers={"Retry-After": "1"}), Scripted(200, {}))
    started = time.monotonic()
    transport(scripted_server.url).request("GET", "/things", operation="r3")
    assert time.monotonic() - started >= 1.0
    assert len(scripted_server.received) == 2


def test_write_is_not_retried_after_a_5xx(scripted_server):
    scripted_server.answer(Scripted(500), Scripted(201))
    with pytest.raises(UpstreamUnavailable) as caught:
        transport(scripted_server.url).request("POST", "/topup", operation="w1")
    assert len(scripted_server.received) == 1
    assert "may already have been applied" in str(caught.value)


def test_write_marked_safe_is_retried(scripted_server):
    scripted_server.answer(Scripted(500), Scripted(201))
    transport(scripted_server.url).request("POST", "/token", operation="w2", retry_safe=True)
    assert len(scripted_server.received) == 2


def test_write_is_retried_after_a_429_because_nothing_was_applied(scripted_server):
    scripted_server.answer(Scripted(429, headers={"Retry-After": "0"}), Scripted(201))
    transport(scripted_server.url).request("POST", "/topup", operation="w3")
    assert len(scripted_server.received) == 2


def test_write_is_retried_when_the_connection_was_never_made():
    url = f"http://127.0.0.1:{free_port()}"
    labels = {"upstream": "test", "operation": "w4", "reason": "connection"}
    before = metric("fleetops_upstream_retries_total", **labels)
    with pytest.raises(UpstreamUnavailable, match="could not connect"):
        transport(url).request("POST", "/topup", operation="w4")
    assert metric("fleetops_upstream_retries_total", **labels) - before == FAST.max_retries


def test_read_timeout_raises_timeout_and_a_write_is_sent_once(scripted_server):
    scripted_server.answer(Scripted(200, {}, delay=0.5))
    client = transport(scripted_server.url, read_timeout=0.1, retry_policy=RetryPolicy(1, 0.01))
    with pytest.raises(UpstreamTimeout):
        client.request("GET", "/slow", operation="t1")
    assert len(scripted_server.received) == 2
    with pytest.raises(UpstreamTimeout, match="not retried"):
        client.request("PUT", "/slow", operation="t2")
    assert len(scripted_server.received) == 3


def test_404_is_not_found_and_other_4xx_are_rejected_with_the_upstream_message(scripted_server):
    client = transport(scripted_server.url)
    scripted_server.answer(
        Scripted(404, {"error_token": "NotFound", "message": "Element not found"})
    )
    with pytest.raises(UpstreamNotFound):
        client.request("GET", "/sims/1", operation="c1")
    scripted_server.answer(Scripted(422, {"message": "The SIM is expired."}))
    with pytest.raises(UpstreamRejected) as caught:
        client.request("PUT", "/sims/1", operation="c2")
    assert caught.value.status_code == 422
    assert caught.value.upstream_message == "The SIM is expired."
    assert len(scripted_server.received) == 2


class RotatingAuth:
    """A TokenAuth that hands out numbered tokens and records invalidations."""

    def __init__(self):
        self.issued = 0
        self.invalidated = []

    def headers(self):
        return {"Authorization": f"Bearer token-{self.issued}"}

    def invalidate(self, headers):
        self.invalidated.append(headers["Authorization"])
        self.issued += 1


def test_401_refreshes_the_token_once_then_fails_as_auth_error(scripted_server):
    auth = RotatingAuth()
    scripted_server.answer(Scripted(401), Scripted(200, {}))
    transport(scripted_server.url).request("POST", "/x", operation="a1", auth=auth)
    assert auth.invalidated == ["Bearer token-0"]
    assert scripted_server.received[1]["headers"]["Authorization"] == "Bearer token-1"

    scripted_server.answer(Scripted(401))
    with pytest.raises(UpstreamAuthError) as caught:
        transport(scripted_server.url).request("GET", "/x", operation="a2", auth=auth)
    assert "token-" not in str(caught.value)


def test_proxy_and_no_proxy_from_the_environment_are_honoured(scripted_server, monkeypatch):
    scripted_server.answer(Scripted(200, {"ok": True}))
    monkeypatch.setenv("HTTP_PROXY", scripted_server.url)
    proxied = transport("http://upstream.invalid/v1")
    assert proxied.request("GET", "/things", operation="e1").json() == {"ok": True}
    assert scripted_server.received[-1]["path"] == "http://upstream.invalid/v1/things"

    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{free_port()}")  # nobody there
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    direct = transport(scripted_server.url)
    assert direct.request("GET", "/things", operation="e1").json() == {"ok": True}
    assert scripted_server.received[-1]["path"] == "/things"


def test_netrc_credentials_of_the_host_are_sent(scripted_server, monkeypatch, tmp_path):
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login fleet password s3cret\n")
    monkeypatch.setenv("NETRC", str(netrc))
    scripted_server.answer(Scripted(200, {}))
    transport(scripted_server.url).request("GET", "/x", operation="e2")
    assert scripted_server.received[-1]["headers"]["Authorization"] == "Basic ZmxlZXQ6czNjcmV0"
