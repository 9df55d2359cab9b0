"""The HTTP machinery every upstream client shares: one pooled session, timeouts, retries, metrics.

``UpstreamTransport.request`` sends one logical call and either returns a 2xx/3xx response or
raises a typed ``upstream.exceptions`` error:

- connection refused / DNS / connect timeout once retries are spent -> ``UpstreamNotReached``
  (an ``UpstreamUnavailable`` that says the request was never sent)
- 5xx, 429 or a connection lost after sending, once retries are spent -> ``UpstreamUnavailable``
- read timeout -> ``UpstreamTimeout``
- 404 -> ``UpstreamNotFound``; other 4xx -> ``UpstreamRejected`` with the status and the
  upstream's ``message``; a 401 that survives one token refresh -> ``UpstreamAuthError``

Retries use exponential backoff with full jitter and honour ``Retry-After`` (capped). Which
failures are retried depends on whether the call is safe to repeat (``retry_safe``, by default
only GET/HEAD/OPTIONS):

- safe calls retry connection errors, read timeouts, 5xx and 429;
- writes retry only what provably never reached the upstream: failures to connect, 429 (the
  upstream refused the call before acting on it) and a 401 (refreshed token, once). A read
  timeout, a dropped connection or a 5xx after sending is ambiguous: the write may have been
  applied, so it is raised, never repeated.

A request deadline (``upstream.deadline``) bounds a whole logical call: no attempt or retry
starts once it has passed, a retry whose backoff would end past it is not made (the last
failure is raised), and each attempt's connect and read timeouts are capped by the time left.

No header, body or credential is logged or put in an exception message or metric label.
"""

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

import requests
import structlog
from django.conf import settings
from requests.adapters import HTTPAdapter
from requests.utils import get_netrc_auth
from urllib3.exceptions import ConnectTimeoutError

from upstream import deadline
from upstream.exceptions import (
    UpstreamAuthError,
    UpstreamDeadlineExceeded,
    UpstreamError,
    UpstreamNotFound,
    UpstreamNotReached,
    UpstreamRejected,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from upstream.metrics import (
    UPSTREAM_CALLS,
    UPSTREAM_ERRORS,
    UPSTREAM_REQUEST_SECONDS,
    UPSTREAM_RETRIES,
)
from upstream.ratelimit import RateLimiter
from upstream.transactions import check_outside_transaction

logger = structlog.get_logger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Less time than this left before the request's deadline: the attempt is not started.
MIN_ATTEMPT_SECONDS = 0.05
USER_AGENT = "FleetOps/0.1 (+python-requests)"


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to wait between attempts.

    ``backoff`` is "full jitter" (uniform between 0 and ``base_delay * 2**attempt``, capped at
    ``max_delay``): spreading retries over the whole window keeps many workers that failed
    together from retrying together. A ``Retry-After`` from the upstream wins, up to
    ``max_retry_after`` seconds.
    """

    max_retries: int = 3
    base_delay: float = 0.25
    max_delay: float = 20.0
    max_retry_after: float = 60.0

    def backoff(self, attempt: int, *, rand: Callable[[], float] = random.random) -> float:
        """Seconds to wait before retry number ``attempt + 1`` (``attempt`` counts from 0)."""
        return rand() * min(self.max_delay, self.base_delay * 2**attempt)

    def delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.max_retry_after)
        return self.backoff(attempt)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delay-seconds or an HTTP date.

    Returns ``None`` when the header is missing or unreadable, 0 for a date in the past.
    """
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class TokenAuth(Protocol):
    """What the transport needs from a client's bearer-token handling."""

    def headers(self) -> dict[str, str]:
        """The ``Authorization`` header to send (fetching a token first when needed)."""

    def invalidate(self, headers: Mapping[str, str]) -> None:
        """Forget the token sent in ``headers``: the upstream answered 401 to it."""


@dataclass
class _Failure:
    error: type[UpstreamError]
    message: str
    reason: str  # retry/metric reason: connection, timeout, 429, 5xx
    status: int | None = None
    retryable: bool = False
    retry_after: float | None = None
    upstream_message: str | None = None


def _connect_failed(exc: requests.ConnectionError) -> bool:
    """True when the connection was never established, so the request cannot have been sent."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    # urllib3's NewConnectionError (refused, DNS) is a ConnectTimeoutError subclass.
    return isinstance(reason, ConnectTimeoutError)


def upstream_message(response: requests.Response) -> str | None:
    """The upstream's own error text: the ``message`` member of a JSON body, nothing raw."""
    try:
        body = response.json()
    except ValueError:
        return None
    message = body.get("message") if isinstance(body, dict) else None
    return str(message)[:500] if message else None


class UpstreamTransport:
    """One upstream's pooled HTTP session with timeouts, retries, metrics and typed errors.

    ``upstream`` is the metric label (``"1nce"``), ``display_name`` the name in messages.
    Timeouts and the retry policy default to ``settings.UPSTREAM_*``, read at call time.
    """

    def __init__(
        self,
        *,
        upstream: str,
        display_name: str,
        base_url: str,
        connect_timeout: float | None = None,
        read_timeout: float | None = None,
        retry_policy: RetryPolicy | None = None,
        pool_maxsize: int = 10,
    ):
        self.upstream = upstream
        self.display_name = display_name
        self.base_url = base_url.rstrip("/")
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._retry_policy = retry_policy
        self.session = requests.Session()
        # Retries are ours (they know which calls are safe); urllib3 must not add its own.
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=pool_maxsize, max_retries=0)
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)
        self.session.headers.update({"Accept": "application/json", "User-Agent": USER_AGENT})
        # What requests takes from the environment (proxy variables and NO_PROXY, the CA bundle
        # of REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE, ~/.netrc) depends only on the host, and a
        # transport calls one: it is read once, here, and kept by the session. Read per call
        # (``trust_env``), it walked all of os.environ twice a call: with 60 variables, a
        # quarter of the client's CPU for a call over loopback.
        environment = self.session.merge_environment_settings(self.base_url, {}, None, None, None)
        self.session.proxies = environment["proxies"]
        self.session.verify = environment["verify"]
        self.session.auth = get_netrc_auth(self.base_url)
        self.session.trust_env = False

    @property
    def timeouts(self) -> tuple[float, float]:
        return (
            self._connect_timeout or settings.UPSTREAM_CONNECT_TIMEOUT,
            self._read_timeout or settings.UPSTREAM_READ_TIMEOUT,
        )

    @property
    def retry_policy(self) -> RetryPolicy:
        return self._retry_policy or RetryPolicy(max_retries=settings.UPSTREAM_MAX_RETRIES)

    def close(self) -> None:
        self.session.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        operation: str,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        auth: TokenAuth | None = None,
        retry_safe: bool | None = None,
        rate_limiter: RateLimiter | None = None,
    ) -> requests.Response:
        """Send one logical call (``path`` relative to ``base_url``); see the module docstring.
        ``json`` sends a JSON body, ``data`` a form-encoded one (OAuth2 token endpoints)."""
        check_outside_transaction(self.upstream, operation)
        method = method.upper()
        if retry_safe is None:
            retry_safe = method in SAFE_METHODS
        policy = self.retry_policy
        attempt = 0
        refreshed_token = False
        while True:
            if rate_limiter is not None:
                rate_limiter.acquire()
            sent_headers = {**(headers or {}), **(auth.headers() if auth else {})}
            timeouts = self._timeouts_within_deadline(operation, attempts=attempt)
            failure, response = self._attempt(
                method, path, operation, params, (json, data), sent_headers, retry_safe, timeouts
            )
            if response is not None:
                if response.status_code == 401 and auth is not None and not refreshed_token:
                    # A token can be revoked or expire early: fetch a new one, once.
                    auth.invalidate(sent_headers)
                    refreshed_token = True
                    UPSTREAM_RETRIES.labels(self.upstream, operation, "401").inc()
                    continue
                failure = self._classify(response, operation, retry_safe)
                if failure is None:
                    self._count_call(operation, "success", response.status_code)
                    return response
            delay = policy.delay(attempt, failure.retry_after)
            left = deadline.remaining()
            if left is not None and delay + MIN_ATTEMPT_SECONDS >= left:
                failure.retryable = False  # the retry could not finish in time: answer now
            if failure.retryable and attempt < policy.max_retries:
                attempt += 1
                UPSTREAM_RETRIES.labels(self.upstream, operation, failure.reason).inc()
                logger.warning(
                    "upstream_retry",
                    upstream=self.upstream,
                    operation=operation,
                    attempt=attempt,
                    reason=failure.reason,
                    status=failure.status,
                    delay=round(delay, 3),
                )
                time.sleep(delay)
                continue
            raise self._error(failure, operation, attempts=attempt + 1)

    def _timeouts_within_deadline(self, operation: str, *, attempts: int) -> tuple[float, float]:
        """This attempt's (connect, read) timeouts, capped by the request's time left; raises
        ``UpstreamDeadlineExceeded`` (nothing sent) when too little is left to start it."""
        connect, read = self.timeouts
        left = deadline.remaining()
        if left is None:
            return connect, read
        if left < MIN_ATTEMPT_SECONDS:
            self._count_call(operation, "timeout", None)
            raise UpstreamDeadlineExceeded(
                f"{self.display_name} {operation}: no time left in the request's deadline"
                + (f" after {attempts} attempts" if attempts else ""),
                upstream=self.display_name,
                url=self.base_url,
            )
        return min(connect, left), min(read, left)

    def _attempt(self, method, path, operation, params, body, headers, retry_safe, timeouts):
        url = f"{self.base_url}{path}"
        json, data = body
        started = time.monotonic()
        try:
            response = self.session.request(
                method,
                url,
                params=params,
                json=json,
                data=data,
                headers=headers,
                timeout=timeouts,
                allow_redirects=False,
            )
        except requests.ConnectionError as exc:
            if _connect_failed(exc):
                failure = _Failure(
                    UpstreamNotReached, "could not connect", "connection", retryable=True
                )
            else:
                failure = _Failure(
                    UpstreamUnavailable, "connection lost", "connection", retryable=retry_safe
                )
        except requests.Timeout:
            failure = _Failure(
                UpstreamTimeout,
                f"no answer within {timeouts[1]:g} s",
                "timeout",
                retryable=retry_safe,
            )
        except requests.RequestException as exc:
            failure = _Failure(
                UpstreamUnavailable, type(exc).__name__, "connection", retryable=retry_safe
            )
        else:
            UPSTREAM_REQUEST_SECONDS.labels(self.upstream, operation).observe(
                time.monotonic() - started
            )
            if response.status_code >= 400:
                UPSTREAM_ERRORS.labels(self.upstream, operation, str(response.status_code)).inc()
            return None, response
        UPSTREAM_REQUEST_SECONDS.labels(self.upstream, operation).observe(
            time.monotonic() - started
        )
        UPSTREAM_ERRORS.labels(self.upstream, operation, failure.reason).inc()
        return failure, None

    def _classify(self, response, operation: str, retry_safe: bool) -> _Failure | None:
        status = response.status_code
        if status < 400:
            return None
        message = upstream_message(response)
        if status == 429:
            return _Failure(
                UpstreamUnavailable,
                "rate limited (HTTP 429)",
                "429",
                status,
                retryable=True,
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
                upstream_message=message,
            )
        if status >= 500:
            return _Failure(
                UpstreamUnavailable,
                f"HTTP {status}",
                "5xx",
                status,
                retryable=retry_safe,
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
                upstream_message=message,
            )
        if status == 404:
            return _Failure(
                UpstreamNotFound, "not found (HTTP 404)", "4xx", status, upstream_message=message
            )
        if status == 401:
            return _Failure(UpstreamAuthError, "refused the access token (HTTP 401)", "4xx", status)
        return _Failure(
            UpstreamRejected,
            f"rejected the request (HTTP {status})",
            "4xx",
            status,
            upstream_message=message,
        )

    def _error(self, failure: _Failure, operation: str, *, attempts: int) -> UpstreamError:
        outcome = {
            UpstreamNotFound: "not_found",
            UpstreamNotReached: "unavailable",
            UpstreamRejected: "rejected",
            UpstreamAuthError: "auth_error",
            UpstreamTimeout: "timeout",
        }.get(failure.error, "unavailable")
        self._count_call(operation, outcome, failure.status)
        message = f"{self.display_name} {operation}: {failure.message}"
        if attempts > 1:
            message += f" after {attempts} attempts"
        if failure.error in (UpstreamUnavailable, UpstreamTimeout) and not failure.retryable:
            message += "; not retried because the change may already have been applied"
        if failure.upstream_message:
            message += f": {failure.upstream_message}"
        return failure.error(
            message,
            upstream=self.display_name,
            status_code=failure.status,
            upstream_message=failure.upstream_message,
            url=self.base_url,
        )

    def _count_call(self, operation: str, outcome: str, status: int | None) -> None:
        UPSTREAM_CALLS.labels(self.upstream, operation, outcome, str(status or "none")).inc()
