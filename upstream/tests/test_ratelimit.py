"""The shared rate limiter and lock against the real Redis of the test settings."""

import threading
import time

import pytest
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache

from upstream.locks import CacheLock
from upstream.ratelimit import RateLimiter


def run_concurrently(limiters, calls_each):
    """Each limiter acquires ``calls_each`` times in its own thread; returns grant times."""
    granted, lock = [], threading.Lock()

    def work(limiter):
        for _ in range(calls_each):
            limiter.acquire()
            with lock:
                granted.append(time.monotonic())

    threads = [threading.Thread(target=work, args=(limiter,)) for limiter in limiters]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(granted)


def max_in_any_second(times):
    return max(sum(1 for t in times if start <= t < start + 1.0) for start in times)


def test_two_limiters_on_one_key_share_ten_per_second():
    first = RateLimiter(key="test:rate:shared", rate_per_second=10)
    second = RateLimiter(key="test:rate:shared", rate_per_second=10)
    assert first.shared
    started = time.monotonic()
    granted = run_concurrently([first, second], calls_each=15)
    elapsed = time.monotonic() - started
    assert elapsed >= 2.9  # 30 calls at 10/s (plus headroom): slots 0.0 .. 3.05 s
    assert max_in_any_second(granted) <= 10


def test_limiters_on_different_keys_do_not_wait_for_each_other():
    first = RateLimiter(key="test:rate:a", rate_per_second=10)
    second = RateLimiter(key="test:rate:b", rate_per_second=10)
    started = time.monotonic()
    run_concurrently([first, second], calls_each=5)
    assert time.monotonic() - started < 0.7


def test_best_effort_limiter_without_redis_still_spaces_calls():
    cache = LocMemCache("ratelimit-test", {})
    first = RateLimiter(key="test:rate:local", rate_per_second=20, cache=cache)
    second = RateLimiter(key="test:rate:local", rate_per_second=20, cache=cache)
    assert not first.shared
    granted = run_concurrently([first, second], calls_each=10)
    assert granted[-1] - granted[0] >= 0.85  # 20 calls at 20/s
    assert max_in_any_second(granted) <= 21


def test_rate_must_be_positive():
    with pytest.raises(ValueError, match="positive"):
        RateLimiter(key="x", rate_per_second=0)


@pytest.mark.parametrize("cache_factory", [lambda: caches["default"], lambda: LocMemCache("l", {})])
def test_cache_lock_admits_one_holder_at_a_time(cache_factory):
    cache = cache_factory()
    holder = CacheLock("test:lock", timeout=5, cache=cache)
    other = CacheLock("test:lock", timeout=5, cache=cache)
    assert holder.acquire(blocking=False)
    assert not other.acquire(blocking=False)
    assert not other.acquire(blocking=True, blocking_timeout=0.2)
    holder.release()
    assert other.acquire(blocking=False)
    other.release()


def test_cache_lock_expires_so_a_crashed_holder_cannot_block_forever():
    crashed = CacheLock("test:lock:expiry", timeout=0.3)
    assert crashed.acquire(blocking=False)
    successor = CacheLock("test:lock:expiry", timeout=5)
    assert successor.acquire(blocking=True, blocking_timeout=2)
    successor.release()
    crashed.release()  # expired and taken meanwhile: releasing is a no-op, not an error
