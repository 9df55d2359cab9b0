"""A client-side rate limiter shared by every process that talks to one upstream account.

1NCE allows about 10 requests per second per customer on ``/sims``; FleetOps runs several web
and worker processes, so the budget has to be shared. With Redis (the ``default`` cache in
tests and production) the limiter is GCRA with a burst of one: a Lua script keeps the
"theoretical arrival time" of the next free slot and hands each caller its own slot, one
``1/rate`` seconds after the previous, on Redis' clock (one clock for every host). Callers
sleep until their slot: they wait, they never fail. Without Redis (embedded dev on a file
cache) slots are claimed with ``cache.add``, which is best-effort: the file cache's ``add`` is
not atomic across processes.
"""

import math
import time

from django.core.cache import BaseCache, caches
from django_redis.cache import RedisCache

from upstream.metrics import UPSTREAM_RATE_LIMIT_WAIT

# Slots are spaced 5% wider than 1/rate: the upstream counts arrival times, which scheduler and
# network jitter move by milliseconds, and exact spacing would let it see rate + 1 in a second.
HEADROOM = 0.05

# KEYS[1]: the slot key. ARGV[1]: the interval between slots in microseconds.
# Returns how many microseconds the caller must wait for the slot it was given.
_GCRA_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]))
if (not tat) or tat < now then
  tat = now
end
local next_tat = tat + interval
local ttl_ms = math.ceil((next_tat - now) / 1000) + 1000
redis.call('SET', KEYS[1], string.format('%d', next_tat), 'PX', ttl_ms)
return tat - now
"""


class RateLimiter:
    """Spaces the calls that share ``key`` to at most ``rate_per_second``, across processes.

    ``acquire()`` blocks until the caller's slot and returns the seconds it waited.
    """

    def __init__(
        self,
        *,
        key: str,
        rate_per_second: float,
        upstream: str = "upstream",
        cache: BaseCache | None = None,
    ):
        if rate_per_second <= 0:
            raise ValueError("rate_per_second must be positive")
        self.key = key
        self.interval = (1.0 + HEADROOM) / rate_per_second
        self.upstream = upstream
        self._cache = cache
        self._script = None

    @property
    def cache(self) -> BaseCache:
        return self._cache if self._cache is not None else caches["default"]

    @property
    def shared(self) -> bool:
        """True when the limit holds exactly across processes (Redis), False when best-effort."""
        return isinstance(self.cache, RedisCache)

    def acquire(self) -> float:
        wait = self._reserve_redis() if self.shared else self._reserve_best_effort()
        if wait > 0:
            time.sleep(wait)
            UPSTREAM_RATE_LIMIT_WAIT.labels(self.upstream).inc(wait)
        return max(wait, 0.0)

    def _reserve_redis(self) -> float:
        cache = self.cache
        client = cache.client.get_client(write=True)
        if self._script is None or self._script.registered_client is not client:
            self._script = client.register_script(_GCRA_RESERVE)
        micros = self._script(
            keys=[cache.make_key(self.key)], args=[math.ceil(self.interval * 1_000_000)]
        )
        return int(micros) / 1_000_000

    def _reserve_best_effort(self) -> float:
        cache = self.cache
        now = time.time()
        slot = math.ceil(now / self.interval)
        # A claimed slot must outlive its own time, or a later caller could claim it again.
        while not cache.add(
            f"{self.key}:slot:{slot}", 1, timeout=math.ceil(slot * self.interval - now) + 5
        ):
            slot += 1
        return slot * self.interval - time.time()
