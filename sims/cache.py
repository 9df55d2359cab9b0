"""Read caches for SIM lists and details, scoped per organization.

Every key embeds the organization's version number; any write or sync that touches the
organization's SIMs bumps it, so no reader sees a stale page after its own write.
"""

import hashlib

from django.core.cache import cache

LIST_TTL = 5 * 60
DETAIL_TTL = 2 * 60
_VERSION_KEY = "sims:version:{}"


def version(organization_id) -> int:
    return cache.get_or_set(_VERSION_KEY.format(organization_id), 1, timeout=None)


def invalidate(organization_id) -> None:
    key = _VERSION_KEY.format(organization_id)
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 2, timeout=None)


def key_for(kind: str, organization_id, *parts: str) -> str:
    digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]
    return f"sims:{kind}:{organization_id}:{version(organization_id)}:{digest}"
