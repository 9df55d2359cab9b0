"""Error codes, and what an upstream failure answers: one table for the API's exception
handler and for services that record an outcome (audit rows, job items). No HTTP machinery."""

from upstream.exceptions import (
    UpstreamError,
    UpstreamNotFound,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from upstream.stellar.exceptions import (
    StellarInsufficientBalance,
    StellarNoTrustline,
    StellarTimeout,
    StellarTransactionFailed,
)


class ErrorCode:
    INVALID_API_KEY = "INVALID_API_KEY"
    UNAUTHORIZED = "UNAUTHORIZED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    INVALID_ICCID = "INVALID_ICCID"
    BAD_REQUEST = "BAD_REQUEST"
    NOT_ACCEPTABLE = "NOT_ACCEPTABLE"
    UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
    CONFLICT = "CONFLICT"
    UPSTREAM_NOT_CONFIGURED = "UPSTREAM_NOT_CONFIGURED"
    PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
    VALIDATION_ERROR = "VALIDATION_ERROR"
    RATE_LIMIT_EXCEEDED = "RATE_LIMIT_EXCEEDED"
    INTERNAL_ERROR = "INTERNAL_ERROR"
    UPSTREAM_ERROR = "UPSTREAM_ERROR"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
    GATEWAY_TIMEOUT = "GATEWAY_TIMEOUT"
    # Seed 004's Stellar errors
    STELLAR_INSUFFICIENT_BALANCE = "STELLAR_INSUFFICIENT_BALANCE"
    STELLAR_NO_TRUSTLINE = "STELLAR_NO_TRUSTLINE"
    STELLAR_TRANSACTION_FAILED = "STELLAR_TRANSACTION_FAILED"
    STELLAR_TIMEOUT = "STELLAR_TIMEOUT"


# Upstream failures, by class, to (status, code). UpstreamError last: it is the base.
# A Stellar transaction refused for the paying account's state (funds, trustline) is a
# conflict the client can fix (409); any other refusal 502; no confirmation in time 504.
_UPSTREAM_CODES: list[tuple[type[UpstreamError], int, str]] = [
    (StellarInsufficientBalance, 409, ErrorCode.STELLAR_INSUFFICIENT_BALANCE),
    (StellarNoTrustline, 409, ErrorCode.STELLAR_NO_TRUSTLINE),
    (StellarTransactionFailed, 502, ErrorCode.STELLAR_TRANSACTION_FAILED),
    (StellarTimeout, 504, ErrorCode.STELLAR_TIMEOUT),
    (UpstreamTimeout, 504, ErrorCode.GATEWAY_TIMEOUT),
    (UpstreamUnavailable, 503, ErrorCode.SERVICE_UNAVAILABLE),
    (UpstreamNotFound, 404, ErrorCode.NOT_FOUND),
    (UpstreamError, 502, ErrorCode.UPSTREAM_ERROR),
]


def upstream_status(exc: Exception | None) -> tuple[int, str]:
    """The HTTP status and error code of an upstream failure (502 ``UPSTREAM_ERROR`` for any
    other cause, or none)."""
    return next(
        ((s, c) for cls, s, c in _UPSTREAM_CODES if isinstance(exc, cls)),
        (502, ErrorCode.UPSTREAM_ERROR),
    )
