"""Running with a dependency down: which errors mean "Redis or PostgreSQL is unreachable", and
best-effort cache access for the places that have a fallback.

Two kinds of cache use, kept apart on purpose:

- **Optimisations** (the API-key cache, the session-revocation check, read caches, usage
  tallies) have a source of truth in PostgreSQL. They go through ``cache_get``/``cache_set``
  here, which answer a miss (or store nothing) when Redis is unreachable, so reads keep
  working.
- **Correctness** (locks, idempotency keys, token refreshes, revocations, invalidations) uses
  the cache directly: an unreachable Redis raises, the request rolls back and answers 503
  ``SERVICE_UNAVAILABLE`` (``core.exceptions``), never a silent success. That is why the
  cache is not configured with django-redis' ``IGNORE_EXCEPTIONS``.

After a failure, best-effort calls skip Redis for ``CACHE_RETRY_SECONDS`` in this process, so
a down Redis costs one connect timeout now and then, not one per call.
"""

import threading
import time
from collections.abc import Callable
from typing import Any

import structlog
from django.core.cache import caches
from django.db import InterfaceError, OperationalError
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = structlog.get_logger(__name__)

# Redis (the cache, the rate limiter) cannot be reached or did not answer in time.
CACHE_ERRORS: tuple[type[Exception], ...] = (
    RedisConnectionError,
    RedisTimeoutError,
    ConnectionInterrupted,
    TimeoutError,
)
# PostgreSQL refused, dropped the connection or cancelled a statement (statement_timeout).
DATABASE_ERRORS: tuple[type[Exception], ...] = (OperationalError, InterfaceError)

CACHE_RETRY_SECONDS = 5.0

_down_until: dict[str, float] = {}
_down_lock = threading.Lock()


def _location(alias: str) -> str:
    # Keyed by where the cache lives, so a test (or a reconfigured process) pointing the alias
    # elsewhere does not inherit another server's outage.
    return f"{alias}:{getattr(caches[alias], '_server', '')}"


def cache_is_down(alias: str = "default") -> bool:
    """True while this process skips the cache after a recent failure to reach it."""
    return _down_until.get(_location(alias), 0.0) > time.monotonic()


def mark_cache_down(alias: str = "default", error: Exception | None = None) -> None:
    """Record a failure to reach the cache: best-effort calls skip it for a few seconds."""
    with _down_lock:
        key = _location(alias)
        first = _down_until.get(key, 0.0) <= time.monotonic()
        _down_until[key] = time.monotonic() + CACHE_RETRY_SECONDS
    if first:
        logger.warning("cache_unavailable", alias=alias, error=type(error).__name__)


def cache_get(
    key: str,
    default: Any = None,
    *,
    when_down: Callable[[], Any] | None = None,
    alias: str = "default",
) -> Any:
    """``cache.get``; when the cache is unreachable, ``when_down()`` (the answer from the
    source of truth) or else ``default`` (a miss)."""
    if not cache_is_down(alias):
        try:
            return caches[alias].get(key, default)
        except CACHE_ERRORS as exc:
            mark_cache_down(alias, exc)
    return when_down() if when_down is not None else default


def cache_set(key: str, value: Any, timeout: float | None, *, alias: str = "default") -> bool:
    """``cache.set``; False (nothing stored) when the cache is unreachable."""
    if cache_is_down(alias):
        return False
    try:
        caches[alias].set(key, value, timeout=timeout)
    except CACHE_ERRORS as exc:
        mark_cache_down(alias, exc)
        return False
    return True


def redis_client(alias: str = "default"):
    """The raw Redis client behind the cache ``alias`` (for pipelines and scripts that save
    round trips), or None when the cache is not Redis (embedded mode's file cache)."""
    try:
        from django_redis import get_redis_connection

        return get_redis_connection(alias)
    except (ImportError, NotImplementedError):
        return None


def redis_key(key: str, alias: str = "default") -> str:
    """The Redis key the cache ``alias`` stores ``key`` under (its prefix and version)."""
    return str(caches[alias].client.make_key(key))


_scripts: dict[tuple[int, str], object] = {}


def redis_script(client, source: str):
    """``client.register_script(source)``, registered once per client (a Lua script runs
    several commands in one round trip; redis-py sends its SHA and the body only if Redis
    does not know it yet)."""
    key = (id(client), source)
    script = _scripts.get(key)
    if script is None:
        script = _scripts.setdefault(key, client.register_script(source))
    return script
