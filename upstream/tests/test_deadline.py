"""The request deadline bounds a whole logical call: attempts, retries and backoff together."""

import time

import pytest

from upstream.deadline import deadline, remaining
from upstream.exceptions import (
    UpstreamDeadlineExceeded,
    UpstreamTimeout,
    UpstreamUnavailable,
    certainly_not_applied,
)
from upstream.http import RetryPolicy, UpstreamTransport
from upstream.tests.conftest import Scripted


def transport(url, **kwargs):
    kwargs.setdefault("retry_policy", RetryPolicy(max_retries=5, base_delay=0.05))
    return UpstreamTransport(upstream="test", display_name="Test", base_url=url, **kwargs)


def test_read_timeout_is_capped_by_the_time_left(scripted_server):
    scripted_server.answer(Scripted(delay=3.0, body={}))
    started = time.monotonic()
    with deadline(0.8), pytest.raises(UpstreamTimeout):
        transport(scripted_server.url, read_timeout=10.0).request("GET", "/x", operation="x")
    assert time.monotonic() - started < 1.3
    assert len(scripted_server.received) == 1  # no retry started past the deadline


def test_no_retry_starts_when_its_backoff_would_end_past_the_deadline(scripted_server):
    scripted_server.answer(Scripted(status=503, headers={"Retry-After": "5"}, body={}))
    started = time.monotonic()
    with deadline(1.0), pytest.raises(UpstreamUnavailable):
        transport(scripted_server.url).request("GET", "/x", operation="x")
    assert time.monotonic() - started < 0.5  # answered at once, not after a 5 s wait
    assert len(scripted_server.received) == 1


def test_retries_fit_inside_the_deadline(scripted_server):
    scripted_server.answer(Scripted(status=503, body={}), Scripted(status=200, body={"ok": 1}))
    with deadline(5.0):
        response = transport(scripted_server.url).request("GET", "/x", operation="x")
    assert response.json() == {"ok": 1}
    assert len(scripted_server.received) == 2


def test_a_passed_deadline_sends_nothing_and_a_write_counts_as_not_applied(scripted_server):
    scripted_server.answer(Scripted(body={}))
    with deadline(0.01):
        time.sleep(0.05)
        with pytest.raises(UpstreamTimeout, match="deadline") as refused:
            transport(scripted_server.url).request("POST", "/x", operation="x")
    assert scripted_server.received == []
    # Nothing left: the top-up package or SMS is failed, not left "unknown" for the settle window.
    assert isinstance(refused.value, UpstreamDeadlineExceeded)
    assert certainly_not_applied(refused.value)


def test_nested_deadlines_keep_the_earlier_one():
    assert remaining() is None
    with deadline(1.0):
        with deadline(30.0):
            assert remaining() <= 1.0
        with deadline(None):
            assert remaining() <= 1.0
    assert remaining() is None
