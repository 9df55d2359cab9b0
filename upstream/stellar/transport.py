"""stellar-sdk's HTTP client, on FleetOps' upstream conventions.

stellar-sdk's ``Server`` talks HTTP through a ``BaseSyncClient``. Its own ``RequestsClient``
retries POSTs on 5xx by itself (urllib3), which for a payment would be a decision taken
without us. ``HorizonHttpClient`` gives the SDK the shared ``UpstreamTransport`` instead:

- reads (GET) go through ``UpstreamTransport.request``: one pooled session, explicit
  timeouts capped by the request's deadline, retries with backoff and jitter on connection
  errors, 429 and 5xx, metrics, and typed errors (404 -> ``UpstreamNotFound``; the SDK never
  sees a failed read);
- submissions (POST) are sent once, on the same session and metrics, and never repeated here:
  whether to resubmit is the payment's decision, made after searching the ledger. Horizon's
  400 (a refused transaction, with its result codes) is handed back to the SDK, which raises
  ``BadRequestError``; a connection that never opened is ``UpstreamNotReached`` (nothing
  sent), a timeout or 5xx after sending is ambiguous (``UpstreamTimeout`` /
  ``UpstreamUnavailable``).

No body, header or key is logged.
"""

import time
from collections.abc import Generator
from typing import Any

import requests
from django.conf import settings
from stellar_sdk.client.base_sync_client import BaseSyncClient
from stellar_sdk.client.response import Response

from upstream import deadline
from upstream.exceptions import (
    UpstreamDeadlineExceeded,
    UpstreamNotReached,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from upstream.http import MIN_ATTEMPT_SECONDS, UpstreamTransport, _connect_failed
from upstream.metrics import UPSTREAM_CALLS, UPSTREAM_ERRORS, UPSTREAM_REQUEST_SECONDS

UPSTREAM = "stellar"
DISPLAY_NAME = "Stellar Horizon"


def operation_for(path: str, method: str) -> str:
    """A low-cardinality metric label for a Horizon path (no ids)."""
    parts = [part for part in path.split("?")[0].strip("/").split("/") if part]
    if not parts:
        return "root"
    if parts[0] == "transactions":
        return "submit_transaction" if method == "POST" else "get_transaction"
    if parts[0] == "accounts":
        return f"account_{parts[2]}" if len(parts) > 2 else "get_account"
    return parts[0]


class HorizonHttpClient(BaseSyncClient):
    """A ``BaseSyncClient`` for stellar-sdk's ``Server`` over ``UpstreamTransport``."""

    def __init__(self, *, horizon_url: str, transport: UpstreamTransport | None = None):
        self.horizon_url = horizon_url.rstrip("/")
        self.transport = transport or UpstreamTransport(
            upstream=UPSTREAM, display_name=DISPLAY_NAME, base_url=self.horizon_url
        )

    def _path(self, url: str) -> str:
        if not url.startswith(self.horizon_url):
            raise ValueError("Horizon URL outside the configured server.")
        return url[len(self.horizon_url) :]

    def get(self, url: str, params: dict[str, str] | None = None, **_: Any) -> Response:
        path = self._path(url)
        response = self.transport.request(
            "GET", path, operation=operation_for(path, "GET"), params=params
        )
        return _sdk_response(response)

    def post(
        self,
        url: str,
        data: dict[str, str] | None = None,
        json_data: dict[str, Any] | None = None,
    ) -> Response:
        path = self._path(url)
        operation = operation_for(path, "POST")
        connect, read = self.transport.timeouts
        read = max(read, settings.STELLAR_SUBMIT_TIMEOUT)
        left = deadline.remaining()
        if left is not None:
            if left < MIN_ATTEMPT_SECONDS:
                self._count(operation, "timeout", None)
                raise UpstreamDeadlineExceeded(
                    f"{DISPLAY_NAME} {operation}: no time left in the request's deadline",
                    upstream=DISPLAY_NAME,
                )
            connect, read = min(connect, left), min(read, left)
        started = time.monotonic()
        try:
            response = self.transport.session.post(
                url, data=data, json=json_data, timeout=(connect, read), allow_redirects=False
            )
        except requests.ConnectionError as exc:
            reason = "connection"
            if _connect_failed(exc):
                error = UpstreamNotReached(
                    f"{DISPLAY_NAME} {operation}: could not connect", upstream=DISPLAY_NAME
                )
            else:
                error = UpstreamUnavailable(
                    f"{DISPLAY_NAME} {operation}: connection lost after sending; the "
                    "transaction may have been applied",
                    upstream=DISPLAY_NAME,
                )
        except requests.Timeout:
            reason = "timeout"
            error = UpstreamTimeout(
                f"{DISPLAY_NAME} {operation}: no answer within {read:g} s; the transaction "
                "may have been applied",
                upstream=DISPLAY_NAME,
            )
        except requests.RequestException as exc:
            reason = "connection"
            error = UpstreamUnavailable(
                f"{DISPLAY_NAME} {operation}: {type(exc).__name__}", upstream=DISPLAY_NAME
            )
        else:
            UPSTREAM_REQUEST_SECONDS.labels(UPSTREAM, operation).observe(time.monotonic() - started)
            if response.status_code >= 400:
                UPSTREAM_ERRORS.labels(UPSTREAM, operation, str(response.status_code)).inc()
            outcome = "success" if response.status_code < 400 else "rejected"
            if response.status_code >= 500:
                outcome = "unavailable"
            self._count(operation, outcome, response.status_code)
            return _sdk_response(response)
        UPSTREAM_REQUEST_SECONDS.labels(UPSTREAM, operation).observe(time.monotonic() - started)
        UPSTREAM_ERRORS.labels(UPSTREAM, operation, reason).inc()
        self._count(operation, "timeout" if reason == "timeout" else "unavailable", None)
        raise error

    def stream(self, url: str, params: dict[str, str] | None = None) -> Generator:
        raise NotImplementedError("FleetOps does not stream from Horizon.")

    def close(self) -> None:
        self.transport.close()

    def _count(self, operation: str, outcome: str, status: int | None) -> None:
        UPSTREAM_CALLS.labels(UPSTREAM, operation, outcome, str(status or "none")).inc()


def _sdk_response(response: requests.Response) -> Response:
    return Response(
        status_code=response.status_code,
        text=response.text,
        headers=dict(response.headers),
        url=response.url,
    )
