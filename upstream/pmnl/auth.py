"""PMNL OAuth2 tokens: client credentials at ``PMNL_TOKEN_URL``, shared by every process.

``POST PMNL_TOKEN_URL`` form-encoded ``grant_type=client_credentials`` with
``Authorization: Basic base64(client_id:client_secret)`` answers ``access_token`` and
``expires_in``. The token is cached in the Django cache (Redis) per account (``account_key``)
and refreshed ``PMNL_TOKEN_REFRESH_MARGIN`` (30 s) before it expires. One process refreshes at
a time under a cache lock (``upstream.locks``); the others keep using the current token
meanwhile or, when there is none, wait for the refresher and reuse its token (as
``upstream.onence.auth`` does for 1NCE).
"""

import base64
from collections.abc import Mapping

import structlog
from django.conf import settings
from django.core.cache import caches

from upstream import clock
from upstream.exceptions import UpstreamAuthError, UpstreamRejected
from upstream.http import UpstreamTransport
from upstream.locks import CacheLock
from upstream.metrics import UPSTREAM_AUTH
from upstream.pmnl.models import PmnlCredentials
from upstream.tokens import token_cache_name

logger = structlog.get_logger(__name__)

UPSTREAM = "pmnl"


def account_key(credentials: PmnlCredentials) -> str:
    """The name of the account's cached token (``upstream.tokens``)."""
    return token_cache_name(credentials.token_url, credentials.client_id, credentials.client_secret)


class PmnlTokenAuth:
    """Bearer tokens for one PMNL account (``upstream.http.TokenAuth``)."""

    def __init__(self, *, credentials: PmnlCredentials, transport: UpstreamTransport):
        self.credentials = credentials
        self.transport = transport  # bound to the token URL
        key = account_key(credentials)
        self.cache_key = f"upstream:pmnl:token:{key}"
        self.lock_key = f"upstream:pmnl:token-lock:{key}"

    @property
    def cache(self):
        return caches["default"]

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token()}"}

    def token(self) -> str:
        now = clock.now()
        cached = self.cache.get(self.cache_key)
        if cached and now < cached["refresh_at"]:
            return cached["access_token"]
        connect, read = self.transport.timeouts
        wait = connect + read + 5
        lock = CacheLock(self.lock_key, timeout=wait)
        if not lock.acquire(blocking=False):
            if cached and now < cached["expires_at"]:
                return cached["access_token"]  # another process is refreshing; this still works
            if not lock.acquire(blocking=True, blocking_timeout=wait):
                raise UpstreamAuthError(
                    "PMNL authentication: timed out waiting for another process's token refresh.",
                    upstream="PMNL",
                )
        try:
            cached = self.cache.get(self.cache_key)
            if cached and clock.now() < cached["refresh_at"]:
                return cached["access_token"]  # refreshed while we waited
            return self._fetch()
        finally:
            lock.release()

    def invalidate(self, headers: Mapping[str, str]) -> None:
        """Drop the cached token if it is the one PMNL just refused (not a newer one)."""
        sent = headers.get("Authorization", "").removeprefix("Bearer ")
        cached = self.cache.get(self.cache_key)
        if cached and cached["access_token"] == sent:
            self.cache.delete(self.cache_key)

    def _fetch(self) -> str:
        pair = f"{self.credentials.client_id}:{self.credentials.client_secret}"
        try:
            response = self.transport.request(
                "POST",
                "",
                operation="oauth2_token",
                data={"grant_type": "client_credentials"},
                headers={"Authorization": f"Basic {base64.b64encode(pair.encode()).decode()}"},
                retry_safe=True,  # asking for a token changes nothing
            )
        except (UpstreamRejected, UpstreamAuthError) as exc:
            UPSTREAM_AUTH.labels(UPSTREAM, "rejected").inc()
            logger.warning("upstream_auth_rejected", upstream=UPSTREAM, status=exc.status_code)
            raise UpstreamAuthError(
                f"PMNL rejected the client credentials (HTTP {exc.status_code}).",
                upstream="PMNL",
                status_code=exc.status_code,
            ) from None
        try:
            body = response.json()
            access_token = str(body["access_token"])
            expires_in = float(body.get("expires_in") or 3600)
        except (ValueError, KeyError, TypeError):
            UPSTREAM_AUTH.labels(UPSTREAM, "invalid").inc()
            raise UpstreamAuthError(
                "PMNL answered the token request without a usable access token.",
                upstream="PMNL",
            ) from None
        issued = clock.now()
        margin = settings.PMNL_TOKEN_REFRESH_MARGIN
        refresh_in = expires_in - margin if expires_in > margin else expires_in / 2
        self.cache.set(
            self.cache_key,
            {
                "access_token": access_token,
                "refresh_at": issued + refresh_in,
                "expires_at": issued + expires_in,
            },
            timeout=max(1, int(expires_in)),
        )
        UPSTREAM_AUTH.labels(UPSTREAM, "success").inc()
        return access_token
