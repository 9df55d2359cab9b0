"""1NCE bearer tokens: fetched with client credentials, shared by every process through the cache.

``POST /oauth/token`` with ``Authorization: Basic base64(client_id:client_secret)`` and the JSON
body ``{"grant_type": "client_credentials"}`` answers ``access_token`` and ``expires_in``
(3600 s). The token is cached per account and secret (``upstream.tokens``) for its lifetime
and refreshed ``ONENCE_TOKEN_REFRESH_MARGIN`` seconds before it expires (at half-life when it
lives shorter than the margin). One process refreshes at a time, under a cache lock; the
others keep using the current token meanwhile, or, when there is none, wait for the refresher
and reuse its token.
"""

import base64
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

import structlog
from django.conf import settings
from django.core.cache import caches

from upstream import clock, deadline
from upstream.exceptions import (
    UpstreamAuthError,
    UpstreamDeadlineExceeded,
    UpstreamNotFound,
    UpstreamRejected,
)
from upstream.http import UpstreamTransport
from upstream.locks import CacheLock
from upstream.metrics import UPSTREAM_AUTH
from upstream.onence.models import OnenceCredentials
from upstream.tokens import token_cache_name

logger = structlog.get_logger(__name__)

UPSTREAM = "1nce"
TOKEN_PATH = "/oauth/token"  # noqa: S105 (a path, not a password)


def account_key(credentials: OnenceCredentials) -> str:
    """A stable, secret-free name for one account: sha256 of base URL and client id."""
    material = f"{credentials.base_url.rstrip('/')}\n{credentials.client_id}".encode()
    return hashlib.sha256(material).hexdigest()[:32]


@dataclass(frozen=True)
class CachedToken:
    access_token: str
    refresh_at: float  # epoch seconds
    expires_at: float

    def fresh(self, now: float) -> bool:
        return now < self.refresh_at

    def usable(self, now: float) -> bool:
        return now < self.expires_at


def refresh_delay(expires_in: float, margin: float) -> float:
    """Seconds after issue to refresh: ``margin`` before expiry, or at half-life if shorter."""
    if expires_in <= margin:
        return expires_in / 2
    return expires_in - margin


class OnenceTokenAuth:
    """Bearer tokens for one 1NCE account, cached in the Django cache (``TokenAuth``)."""

    def __init__(self, *, credentials: OnenceCredentials, transport: UpstreamTransport):
        self.credentials = credentials
        self.transport = transport
        # Per client id and secret (``upstream.tokens``), not ``account_key``: whoever holds a
        # client id alone must never be handed that account's cached token.
        key = token_cache_name(
            credentials.base_url, credentials.client_id, credentials.client_secret
        )
        self.cache_key = f"upstream:1nce:token:{key}"
        self.lock_key = f"upstream:1nce:token-lock:{key}"

    @property
    def cache(self):
        return caches["default"]

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token()}"}

    def token(self) -> str:
        """A valid access token, fetched (once for all processes) when needed."""
        now = clock.now()
        cached = self._cached()
        if cached is not None and cached.fresh(now):
            return cached.access_token
        connect, read = self.transport.timeouts
        # Long enough for a token call with its retries; a crashed holder frees it by expiry.
        lock = CacheLock(self.lock_key, timeout=connect + read + 30, cache=self.cache)
        if not lock.acquire(blocking=False):
            if cached is not None and cached.usable(now):
                return cached.access_token  # someone is refreshing; this one still works
            wait = connect + read + 30
            left = deadline.remaining()  # an interactive request waits no longer than it may
            bounded = left is not None and left < wait
            wait = max(0.0, left) if bounded else wait
            if not lock.acquire(blocking=True, blocking_timeout=wait):
                error = UpstreamDeadlineExceeded if bounded else UpstreamAuthError
                raise error(
                    "1NCE authentication: timed out waiting for another process's token refresh.",
                    upstream="1NCE",
                    url=self.credentials.base_url,
                )
        try:
            cached = self._cached()
            if cached is not None and cached.fresh(clock.now()):
                return cached.access_token  # refreshed while we waited for the lock
            return self._fetch().access_token
        finally:
            lock.release()

    def invalidate(self, headers: Mapping[str, str]) -> None:
        """Drop the cached token if it is the one 1NCE just refused (not a newer one)."""
        sent = headers.get("Authorization", "").removeprefix("Bearer ")
        cached = self._cached()
        if cached is not None and cached.access_token == sent:
            self.cache.delete(self.cache_key)

    def _cached(self) -> CachedToken | None:
        value = self.cache.get(self.cache_key)
        return CachedToken(**value) if isinstance(value, dict) else None

    def _fetch(self) -> CachedToken:
        basic = base64.b64encode(
            f"{self.credentials.client_id}:{self.credentials.client_secret}".encode()
        ).decode()
        try:
            response = self.transport.request(
                "POST",
                TOKEN_PATH,
                operation="oauth_token",
                json={"grant_type": "client_credentials"},
                headers={"Authorization": f"Basic {basic}"},
                # Asking for a token changes nothing upstream: repeating it is safe.
                retry_safe=True,
            )
        except UpstreamNotFound:
            UPSTREAM_AUTH.labels(UPSTREAM, "rejected").inc()
            raise UpstreamAuthError(
                "1NCE has no token endpoint at the configured base URL (HTTP 404).",
                upstream="1NCE",
                url=self.credentials.base_url,
                status_code=404,
            ) from None
        except (UpstreamRejected, UpstreamAuthError) as exc:
            # 400 (CognitoAuthenticationError, ...), 401, 403, 404: the credentials are wrong.
            UPSTREAM_AUTH.labels(UPSTREAM, "rejected").inc()
            logger.warning(
                "upstream_auth_rejected",
                upstream=UPSTREAM,
                client_id=self.credentials.client_id,
                status=exc.status_code,
            )
            raise UpstreamAuthError(
                "1NCE rejected the API credentials of client id "
                f"'{self.credentials.client_id}' (HTTP {exc.status_code})"
                + (f": {exc.upstream_message}" if exc.upstream_message else "."),
                upstream="1NCE",
                url=self.credentials.base_url,
                status_code=exc.status_code,
                upstream_message=exc.upstream_message,
            ) from None
        except Exception:
            # Unavailable / timeout keep their type (503/504): the upstream is down, not us.
            UPSTREAM_AUTH.labels(UPSTREAM, "unavailable").inc()
            raise
        try:
            body = response.json()
            access_token = str(body["access_token"])
            expires_in = float(body.get("expires_in") or 3600)
        except (ValueError, KeyError, TypeError):
            UPSTREAM_AUTH.labels(UPSTREAM, "invalid").inc()
            raise UpstreamAuthError(
                "1NCE answered the token request without a usable access token.",
                upstream="1NCE",
                url=self.credentials.base_url,
                status_code=response.status_code,
            ) from None
        issued = clock.now()
        token = CachedToken(
            access_token=access_token,
            refresh_at=issued + refresh_delay(expires_in, settings.ONENCE_TOKEN_REFRESH_MARGIN),
            expires_at=issued + expires_in,
        )
        self.cache.set(
            self.cache_key,
            {
                "access_token": token.access_token,
                "refresh_at": token.refresh_at,
                "expires_at": token.expires_at,
            },
            timeout=max(1, int(expires_in)),
        )
        UPSTREAM_AUTH.labels(UPSTREAM, "success").inc()
        return token
