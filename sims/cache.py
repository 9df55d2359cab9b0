"""Read caches for SIM lists and details, scoped per organization.

Every key embeds the organization's version number; any write or sync that touches the
organization's SIMs bumps it, so no reader sees a stale page after its own write.

The cache is an optimisation: with Redis unreachable pages are computed from the database
every time (``cached``), and a write's version bump that could not be made is kept in this
process and made as soon as Redis answers again, before this process serves a cached page.
"""

import hashlib
import secrets
import threading

import orjson
import structlog
from django.core.cache import cache

from core import degraded
from core.degraded import CACHE_ERRORS, cache_is_down, cache_set, mark_cache_down

logger = structlog.get_logger(__name__)

LIST_TTL = 5 * 60
DETAIL_TTL = 2 * 60
_VERSION_KEY = "sims:version:{}"

# Organizations whose version bump failed while Redis was unreachable.
_pending_bumps: set = set()
_pending_lock = threading.Lock()


def _first_version() -> int:
    """A version starts at a random number, not 1: after Redis loses its keys (a restart
    without persistence, a flush) the versions start again elsewhere, so no key of a version
    read before (the list totals this process keeps, ``core.pagination``) names a new one."""
    return secrets.randbelow(2**48) + 1


def version(organization_id, seen: dict | None = None) -> int:
    """The organization's version; ``seen`` (one request's) keeps it for the request's other
    keys, so a request reads it once (its cached page and its list's total)."""
    if seen is not None and organization_id in seen:
        return seen[organization_id]
    current = cache.get_or_set(_VERSION_KEY.format(organization_id), _first_version, timeout=None)
    if seen is not None:
        seen[organization_id] = current
    return current


def _bump(organization_id) -> None:
    key = _VERSION_KEY.format(organization_id)
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, _first_version(), timeout=None)


def invalidate(organization_id) -> None:
    """Drop the organization's cached pages (bump its version); with Redis unreachable the
    bump is remembered and made once it answers (the write itself has already happened)."""
    try:
        _bump(organization_id)
    except CACHE_ERRORS as exc:
        mark_cache_down(error=exc)
        with _pending_lock:
            _pending_bumps.add(organization_id)
        logger.warning("sim_cache_invalidation_deferred", organization_id=organization_id)


def _make_pending_bumps() -> None:
    with _pending_lock:
        pending = list(_pending_bumps)
    for organization_id in pending:
        _bump(organization_id)  # raises while Redis is still down: nothing is served from it
        with _pending_lock:
            _pending_bumps.discard(organization_id)


def generation(organization_id, seen: dict | None = None) -> str | None:
    """The organization's current version as a key part for other caches of its SIM reads
    (the list's counts, ``core.pagination``); None while Redis cannot serve them."""
    if cache_is_down():
        return None
    try:
        _make_pending_bumps()
        return f"sims:{organization_id}:{version(organization_id, seen)}"
    except CACHE_ERRORS as exc:
        mark_cache_down(error=exc)
        return None


# Answers are stored as JSON (orjson writes a page of 50 SIMs in a few µs; pickling it took about
# 50) and read back as the same values. One that JSON would not give back as it is (a datetime,
# a Decimal, an integer past 64 bits, a key that is not a string) is stored pickled, as it is.
_AS_JSON = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def _stored(answer):
    try:
        return orjson.dumps(answer, option=_AS_JSON)
    except TypeError:  # orjson.JSONEncodeError included
        return answer


def _answer(stored):
    return orjson.loads(stored) if isinstance(stored, bytes) else stored


def _digest(parts) -> str:
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def key_for(kind: str, organization_id, *parts: str, seen: dict | None = None) -> str:
    return f"sims:{kind}:{organization_id}:{version(organization_id, seen)}:{_digest(parts)}"


# ``version()`` (its get_or_set) and the page of that version, in one round trip.
_VERSION_AND_PAGE = """
local version = redis.call('GET', KEYS[1])
if not version then
  redis.call('SET', KEYS[1], ARGV[3], 'NX')
  version = redis.call('GET', KEYS[1])
end
return {version, redis.call('GET', ARGV[1] .. version .. ARGV[2])}
"""


def _lookup(kind: str, organization_id, path: str, seen: dict | None):
    """``(key, cached answer or None)``: the version read with the page in one round trip
    when the cache is Redis and the request has not read the version yet."""
    if seen is not None and organization_id in seen:
        key = key_for(kind, organization_id, path, seen=seen)
        return key, _answer(cache.get(key))
    client = degraded.redis_client()
    digest, marker = _digest([path]), "\x00"
    head, found, tail = (
        ("", "", "")
        if client is None
        else degraded.redis_key(f"sims:{kind}:{organization_id}:{marker}:{digest}").partition(
            marker
        )
    )
    if not found:  # embedded mode's file cache, or a key function that hides the key
        key = key_for(kind, organization_id, path, seen=seen)
        return key, _answer(cache.get(key))
    raw_version, raw_page = degraded.redis_script(client, _VERSION_AND_PAGE)(
        keys=[degraded.redis_key(_VERSION_KEY.format(organization_id))],
        args=[head, tail, _first_version()],
    )
    current = int(raw_version)
    if seen is not None:
        seen[organization_id] = current
    key = f"sims:{kind}:{organization_id}:{current}:{digest}"
    return key, None if raw_page is None else _answer(cache.client.decode(raw_page))


def cached(kind: str, organization_id, path: str, ttl: int, compute, seen: dict | None = None):
    """The cached answer for ``path``, or ``compute()`` (stored for ``ttl`` seconds); straight
    from ``compute()`` while Redis is unreachable."""
    if cache_is_down():
        return compute()
    try:
        _make_pending_bumps()
        key, data = _lookup(kind, organization_id, path, seen)
    except CACHE_ERRORS as exc:
        mark_cache_down(error=exc)
        return compute()
    if data is None:
        data = compute()
        cache_set(key, _stored(data), timeout=ttl)
    return data
