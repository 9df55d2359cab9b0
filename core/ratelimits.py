"""Rate-limit windows counted in Redis, so they hold across processes and machines.

Fixed windows that start at a request's first hit, all of a request's counted in one round
trip (``hit``); while Redis is unreachable each process counts on its own (``LocalWindows``).
Which windows a request counts against is the throttles' business (``core.throttling``);
``authenticated_windows`` is the rule for a signed-in caller, here so that authentication can
count them in the round trip that reads an API key (``accounts.services``). No HTTP here.
"""

import math
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from core.degraded import CACHE_ERRORS, cache_is_down, mark_cache_down, redis_client, redis_script


def count_windows_lua(first_key: int, first_arg: int) -> str:
    """Lua that counts one request in the windows ``KEYS[first_key..]``, their lengths in
    seconds ``ARGV[first_arg..]``, starting a window on its first hit, and appends each
    window's count and seconds left to the table ``out`` (:func:`window_states` reads them).
    Also for a script that counts along with other work (``accounts.services``)."""
    return f"""
for i = {first_key}, #KEYS do
  local seconds = tonumber(ARGV[i - {first_key} + {first_arg}])
  local count = redis.call('INCR', KEYS[i])
  if count == 1 then redis.call('EXPIRE', KEYS[i], seconds) end
  local ttl = redis.call('TTL', KEYS[i])
  if ttl < 0 then redis.call('EXPIRE', KEYS[i], seconds); ttl = seconds end
  out[#out + 1] = count
  out[#out + 1] = ttl
end
"""


# One round trip for all windows of a request: count, and start the window on the first hit.
_HIT_SCRIPT = "local out = {}" + count_windows_lua(1, 1) + "return out"


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


def window_keys(counted: list[tuple[str, Window]]) -> list[str]:
    """The Redis keys of ``(ident, window)`` pairs."""
    return [f"fleetops:rl:{ident}:{w.seconds}" for ident, w in counted]


def window_states(counted: list[tuple[str, Window]], raw) -> list[WindowState]:
    """The states of the pairs from what :func:`count_windows_lua` appended, in order."""
    return [
        WindowState(w.limit, int(raw[2 * i]), int(raw[2 * i + 1]))
        for i, (_, w) in enumerate(counted)
    ]


def authenticated_windows(user_id, key_ident: str | None = None) -> list[tuple[str, Window]]:
    """The ``(ident, window)`` pairs a request of ``user_id`` counts against, through the API
    key ``key_ident`` names when it came with one (``APIKey.rate_limit_key``)."""
    idents = [f"user:{user_id}"]
    if key_ident:
        idents.append(key_ident)
    windows = [
        Window(settings.RATE_LIMIT_PER_MINUTE, 60),
        Window(settings.RATE_LIMIT_PER_HOUR, 3600),
    ]
    return [(ident, window) for ident in idents for window in windows]


def hit(counted: list[tuple[str, Window]]) -> list[WindowState]:
    """Count one request against each ``(ident, window)`` pair, in one round trip.

    With Redis unreachable the windows are counted in this process (``LocalWindows``)."""
    keys = window_keys(counted)
    windows = [w for _, w in counted]
    client = _redis_client()
    if client is not None:
        if not cache_is_down():
            try:
                raw = redis_script(client, _HIT_SCRIPT)(
                    keys=keys, args=[w.seconds for w in windows]
                )
                return window_states(counted, raw)
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
