"""The name an upstream account's bearer token is cached under, for every upstream."""

import hashlib
import hmac

from django.conf import settings


def token_cache_name(url: str, client_id: str, client_secret: str) -> str:
    """A stable name for one account's token: its token URL, client id and secret together,
    keyed with ``SECRET_KEY`` (the cache holds nothing a secret can be guessed from).

    The secret is part of it: a client id is no secret, and an organization that configured
    another's client id with a wrong secret must fetch (and be refused) its own token, never
    be handed the other's cached one."""
    material = "\n".join((url.rstrip("/"), client_id, client_secret))
    digest = hmac.new(settings.SECRET_KEY.encode(), material.encode(), hashlib.sha256)
    return digest.hexdigest()[:32]
