"""Rate limits counted in Redis, so they hold across processes and machines.

Fixed windows that start at a caller's first request: per user 100 a minute and 1000 an
hour, and the same again per API key (so one of a user's keys cannot use up more than its
share, and a user with ten keys still gets one user's limit); per address 20 a minute for
anonymous callers, and per address 5 a minute on login (all settings). Addresses come from
``core.net.client_address``, so a forged ``X-Forwarded-For`` cannot pick a fresh window.
The state of the tightest window goes into the ``X-RateLimit-*`` headers of every API
response (``RateLimitHeadersMiddleware``). While Redis is unreachable each process counts on
its own (``LocalWindows``): the limit loosens, requests keep being answered.
"""

import math
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

from core.degraded import CACHE_ERRORS, cache_is_down, mark_cache_down, redis_client, redis_script
from core.net import client_address

# One round trip for all windows of a request: count, and start the window on the first hit.
_HIT_SCRIPT = """
local out = {}
for i, key in ipairs(KEYS) do
  local count = redis.call('INCR', key)
  if count == 1 then redis.call('EXPIRE', key, tonumber(ARGV[i])) end
  local ttl = redis.call('TTL', key)
  if ttl < 0 then redis.call('EXPIRE', key, tonumber(ARGV[i])); ttl = tonumber(ARGV[i]) end
  out[#out + 1] = count
  out[#out + 1] = ttl
end
return out
"""


@dataclass(frozen=True)
class Window:
    limit: int
    seconds: int


@dataclass(frozen=True)
class WindowState:
    limit: int
    count: int
    resets_in: int

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.count)

    @property
    def exceeded(self) -> bool:
        return self.count > self.limit


def _redis_client():
    return redis_client()


class LocalWindows:
    """Fixed windows counted in this process's memory: the limiter's fallback while Redis is
    unreachable. Each process then allows the full limit on its own, so the fleet-wide limit
    is loosened (times the number of web processes) but never gone, and no request fails for
    want of a counter."""

    MAX_KEYS = 100_000  # past this, expired windows are dropped (then, if need be, all)

    def __init__(self):
        self._windows: dict[str, tuple[float, int]] = {}  # key -> (window end, count)
        self._lock = threading.Lock()

    def hit(self, key: str, window: Window) -> WindowState:
        now = time.monotonic()
        with self._lock:
            if len(self._windows) >= self.MAX_KEYS:
                self._windows = {k: v for k, v in self._windows.items() if v[0] > now}
                if len(self._windows) >= self.MAX_KEYS:
                    self._windows.clear()
            ends, count = self._windows.get(key, (0.0, 0))
            if ends <= now:
                ends, count = now + window.seconds, 0
            count += 1
            self._windows[key] = (ends, count)
        return WindowState(window.limit, count, max(1, math.ceil(ends - now)))

    def clear(self) -> None:
        with self._lock:
            self._windows.clear()


local_windows = LocalWindows()


def hit(counted: list[tuple[str, Window]]) -> list[WindowState]:
    """Count one request against each ``(ident, window)`` pair, in one round trip.

    With Redis unreachable the windows are counted in this process (``LocalWindows``)."""
    keys = [f"fleetops:rl:{ident}:{w.seconds}" for ident, w in counted]
    windows = [w for _, w in counted]
    client = _redis_client()
    if client is not None:
        if not cache_is_down():
            try:
                raw = redis_script(client, _HIT_SCRIPT)(
                    keys=keys, args=[w.seconds for w in windows]
                )
                return [
                    WindowState(w.limit, int(raw[2 * i]), int(raw[2 * i + 1]))
                    for i, w in enumerate(windows)
                ]
            except CACHE_ERRORS as exc:
                mark_cache_down(error=exc)
        return [local_windows.hit(key, w) for key, w in zip(keys, windows, strict=True)]
    # Embedded mode (file cache): good enough for one machine.
    states = []
    now = int(time.time())
    for key, window in zip(keys, windows, strict=True):
        cache.add(f"{key}:start", now, timeout=window.seconds)
        cache.add(key, 0, timeout=window.seconds)
        count = cache.incr(key)
        start = cache.get(f"{key}:start") or now
        states.append(WindowState(window.limit, count, max(1, start + window.seconds - now)))
    return states


class FleetRateThrottle(BaseThrottle):
    """The API-wide limit: per user and per API key, else per client address."""

    def get_ident(self, request) -> str:
        return client_address(request) or "unknown"

    def identify(self, request) -> list[tuple[str, Window]]:
        """The ``(ident, window)`` pairs one request counts against."""
        if request.user is not None and request.user.is_authenticated:
            idents = [f"user:{request.user.pk}"]
            auth_key = getattr(request.auth, "rate_limit_key", None)
            if auth_key:
                idents.append(auth_key)
            windows = [
                Window(settings.RATE_LIMIT_PER_MINUTE, 60),
                Window(settings.RATE_LIMIT_PER_HOUR, 3600),
            ]
            return [(ident, window) for ident in idents for window in windows]
        return [(f"ip:{self.get_ident(request)}", Window(settings.RATE_LIMIT_ANON_PER_MINUTE, 60))]

    def allow_request(self, request, view) -> bool:
        if not settings.RATE_LIMIT_ENABLED:
            return True
        states = hit(self.identify(request))
        # Report the window closest to its limit; an exceeded one wins.
        tightest = min(states, key=lambda s: (not s.exceeded, s.remaining))
        current = getattr(request._request, "rate_limit", None)
        if current is None or (tightest.exceeded, -tightest.remaining) > (
            current.exceeded,
            -current.remaining,
        ):
            request._request.rate_limit = tightest
        self.wait_seconds = max((s.resets_in for s in states if s.exceeded), default=0)
        return not any(s.exceeded for s in states)

    def wait(self):
        return self.wait_seconds


class LoginRateThrottle(FleetRateThrottle):
    """Login attempts per client address (on top of the anonymous limit)."""

    def identify(self, request):
        window = Window(settings.RATE_LIMIT_LOGIN_PER_MINUTE, 60)
        return [(f"login:{self.get_ident(request)}", window)]


class RateLimitHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        state = getattr(request, "rate_limit", None)
        if state is not None:
            response["X-RateLimit-Limit"] = str(state.limit)
            response["X-RateLimit-Remaining"] = str(state.remaining)
            response["X-RateLimit-Reset"] = str(int(time.time()) + state.resets_in)
        return response
