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

import structlog
from django.conf import settings
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


def _digest(parts) -> str:
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def key_for(kind: str, organization_id, *parts: str, seen: dict | None = None) -> str:
    return f"sims:{kind}:{organization_id}:{version(organization_id, seen)}:{_digest(parts)}"


# ``version()`` (its get_or_set) and the page of that version, in one round trip; on a miss, with
# ARGV[4] (the minimum uses) above 1, the path's uses so far (ARGV[5]: seconds they are counted)
# are counted, and the page is stored once they reach the minimum.
_VERSION_AND_PAGE = """
local version = redis.call('GET', KEYS[1])
if not version then
  redis.call('SET', KEYS[1], ARGV[3], 'NX')
  version = redis.call('GET', KEYS[1])
end
local key = ARGV[1] .. version .. ARGV[2]
local page = redis.call('GET', key)
local uses = 0
if not page and tonumber(ARGV[4]) > 1 then
  uses = redis.call('INCR', key .. ':uses')
  if uses == 1 then redis.call('EXPIRE', key .. ':uses', ARGV[5]) end
end
return {version, page, uses}
"""


def _lookup(kind: str, organization_id, path: str, ttl: int, seen: dict | None):
    """``(key, stored bytes or None, whether a computed answer is stored)``: the version read
    with the page in one round trip when the cache is Redis and the request has not read the
    version yet. Only that path counts uses (``READ_CACHE_MIN_USES``); others store at once."""
    if seen is not None and organization_id in seen:
        key = key_for(kind, organization_id, path, seen=seen)
        return key, cache.get(key), True
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
        return key, cache.get(key), True
    min_uses = settings.READ_CACHE_MIN_USES
    raw_version, raw_page, uses = degraded.redis_script(client, _VERSION_AND_PAGE)(
        keys=[degraded.redis_key(_VERSION_KEY.format(organization_id))],
        args=[head, tail, _first_version(), min_uses, ttl],
    )
    current = int(raw_version)
    if seen is not None:
        seen[organization_id] = current
    key = f"sims:{kind}:{organization_id}:{current}:{digest}"
    if raw_page is not None:
        return key, cache.client.decode(raw_page), False
    return key, None, min_uses <= 1 or uses >= min_uses


def cached(kind: str, organization_id, path: str, ttl: int, compute, *, write, read, seen=None):
    """The answer for ``path``: ``read(bytes)`` of the stored one, else ``compute()``; straight
    from ``compute()`` while Redis is unreachable. A computed answer is stored as
    ``write(answer)`` (bytes) for ``ttl`` seconds, and then answered as ``read`` of them, once
    the path has been asked ``READ_CACHE_MIN_USES`` times within that time (as nginx's
    ``proxy_cache_min_uses``): a page asked once (another filter, a deep page) costs no write
    and takes no room."""
    if cache_is_down():
        return compute()
    try:
        _make_pending_bumps()
        key, stored, store = _lookup(kind, organization_id, path, ttl, seen)
    except CACHE_ERRORS as exc:
        mark_cache_down(error=exc)
        return compute()
    if stored is not None:
        # An entry kept before answers were stored as bytes is the answer itself.
        return read(stored) if isinstance(stored, bytes) else stored
    answer = compute()
    if not store:
        return answer
    stored = write(answer)
    cache_set(key, stored, timeout=ttl)
    return read(stored)
