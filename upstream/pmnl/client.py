"""The PMNL v5 provisioning client: typed calls in, dataclasses out, sanitised errors.

Every call carries the OAuth2 bearer token (``auth.PmnlTokenAuth``) and ``x-api-key``.
Timeouts are ``PMNL_CONNECT_TIMEOUT`` / ``PMNL_READ_TIMEOUT`` (5 s / 30 s). Failures keep
``upstream.exceptions``' types, so the API answers 503 (cannot connect, or PMNL answers 503 or
429), 504 (timed out), 404 (unknown subscriber or request), 409 (``PmnlConflict``: the ICCID
or MSISDN exists) and 502 for anything else (another 5xx, a refused request), but with fixed
public messages: PMNL's own text and internals go to the log only (seed 003: "sanitized
responses").
"""

from typing import Any
from urllib.parse import quote

import requests
import structlog
from django.conf import settings

from upstream.exceptions import (
    UpstreamAuthError,
    UpstreamError,
    UpstreamNotFound,
    UpstreamRejected,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from upstream.http import RetryPolicy, UpstreamTransport
from upstream.pmnl.auth import UPSTREAM, PmnlTokenAuth
from upstream.pmnl.models import PmnlCredentials, SubscriberRead, UserRequest

logger = structlog.get_logger(__name__)

DISPLAY = "PMNL"
UNAVAILABLE = "Unable to connect to provisioning service. Please try again later."
TIMED_OUT = "Request to provisioning service timed out. Please try again later."
NOT_FOUND = "Subscriber not found"
CONFLICT = "Subscriber with this ICCID or MSISDN already exists"
FAILED = "The provisioning service could not process the request."

# The aspects of a subscriber PMNL updates one at a time, by path.
ASPECTS = ("aor", "state", "apn", "network-access-list", "credit", "block-data-usage")


class PmnlConflict(UpstreamRejected):
    """PMNL answered 409: the subscriber (ICCID or MSISDN) exists already."""


def sanitised(exc: UpstreamError, *, operation: str) -> UpstreamError:
    """The same kind of failure with a fixed public message; the original goes to the log."""
    logger.warning(
        "pmnl_call_failed",
        operation=operation,
        error=type(exc).__name__,
        status=exc.status_code,
        detail=str(exc),
    )
    if isinstance(exc, UpstreamTimeout):
        kind, message = UpstreamTimeout, TIMED_OUT
    elif isinstance(exc, UpstreamUnavailable) and exc.status_code in (None, 429, 503):
        # Not reached, connection lost, or PMNL says it is unavailable: 503.
        kind, message = type(exc), UNAVAILABLE
    elif isinstance(exc, UpstreamNotFound):
        kind, message = UpstreamNotFound, NOT_FOUND
    elif isinstance(exc, UpstreamRejected) and exc.status_code == 409:
        kind, message = PmnlConflict, CONFLICT
    elif isinstance(exc, UpstreamAuthError):
        kind, message = UpstreamAuthError, FAILED
    else:  # another 5xx, a refused request: 502, PMNL's text only in the log
        kind, message = UpstreamError, FAILED
    return kind(message, upstream=DISPLAY, status_code=exc.status_code)


class PmnlTransport(UpstreamTransport):
    """The shared transport with PMNL's own timeouts, read from settings at call time."""

    @property
    def timeouts(self) -> tuple[float, float]:
        return settings.PMNL_CONNECT_TIMEOUT, settings.PMNL_READ_TIMEOUT


class PmnlClient:
    """A client for one PMNL account; one pooled session, safe to share between threads."""

    def __init__(self, credentials: PmnlCredentials, *, retry_policy: RetryPolicy | None = None):
        self.credentials = credentials
        self.transport = PmnlTransport(
            upstream=UPSTREAM,
            display_name=DISPLAY,
            base_url=credentials.base_url,
            retry_policy=retry_policy,
            pool_maxsize=20,
        )
        self.token_transport = PmnlTransport(
            upstream=UPSTREAM,
            display_name=DISPLAY,
            base_url=credentials.token_url,
            retry_policy=retry_policy,
            pool_maxsize=2,
        )
        self.auth = PmnlTokenAuth(credentials=credentials, transport=self.token_transport)

    def __repr__(self) -> str:
        return f"PmnlClient(base_url={self.credentials.base_url!r}, client_id=...)"

    def close(self) -> None:
        self.transport.close()
        self.token_transport.close()

    # --- plumbing -------------------------------------------------------------------------

    def _call(self, method: str, path: str, *, operation: str, **kwargs: Any) -> Any:
        try:
            response = self.transport.request(
                method,
                path,
                operation=operation,
                auth=self.auth,
                headers={"x-api-key": self.credentials.api_key},
                **kwargs,
            )
        except UpstreamError as exc:
            raise sanitised(exc, operation=operation) from None
        return self._json(response, operation)

    def _json(self, response: requests.Response, operation: str) -> Any:
        try:
            return response.json()
        except ValueError:
            logger.warning("pmnl_invalid_json", operation=operation, status=response.status_code)
            raise UpstreamError(
                FAILED, upstream=DISPLAY, status_code=response.status_code
            ) from None

    def _request(self, body: Any, operation: str) -> UserRequest:
        try:
            return UserRequest.from_json(body)
        except (KeyError, TypeError):
            logger.warning("pmnl_unexpected_answer", operation=operation)
            raise UpstreamError(FAILED, upstream=DISPLAY) from None

    @staticmethod
    def _subscriber_path(identifier: str) -> str:
        return f"/subscribers/{quote(identifier, safe='')}"

    # --- subscribers ----------------------------------------------------------------------

    def create_subscriber(self, payload: dict, *, queue_request: bool) -> UserRequest:
        """Create a subscriber: ``completed`` (synchronous) or ``queued`` with a request id."""
        body = self._call(
            "POST",
            "/subscribers",
            operation="create_subscriber",
            params={"queue_request": "true" if queue_request else "false"},
            json=payload,
        )
        return self._request(body, "create_subscriber")

    def read_subscriber(self, identifier: str) -> SubscriberRead:
        """A subscriber by ICCID or MSISDN (``UpstreamNotFound`` when PMNL has none)."""
        body = self._call("GET", self._subscriber_path(identifier), operation="read_subscriber")
        try:
            return SubscriberRead.from_json(body)
        except (KeyError, TypeError):
            logger.warning("pmnl_unexpected_answer", operation="read_subscriber")
            raise UpstreamError(FAILED, upstream=DISPLAY) from None

    def update_subscriber(self, identifier: str, *, aspect: str, payload: dict) -> UserRequest:
        """Change one aspect (``ASPECTS``) of a subscriber."""
        if aspect not in ASPECTS:
            raise ValueError(f"Unknown subscriber aspect {aspect!r}.")
        operation = f"update_{aspect.replace('-', '_')}"
        body = self._call(
            "PATCH",
            f"{self._subscriber_path(identifier)}/{aspect}",
            operation=operation,
            json=payload,
        )
        return self._request(body, operation)

    def delete_subscriber(self, identifier: str) -> UserRequest:
        body = self._call(
            "DELETE", self._subscriber_path(identifier), operation="delete_subscriber"
        )
        return self._request(body, "delete_subscriber")

    # --- user requests --------------------------------------------------------------------

    def get_request(self, request_id: str) -> UserRequest:
        """The current state of a queued request."""
        body = self._call("GET", f"/requests/{quote(request_id, safe='')}", operation="get_request")
        return self._request(body, "get_request")
