"""API errors and the one exception handler that renders them in the FleetOps envelope.

Error codes are seed 001's table plus ``CONFLICT``, ``SERVICE_UNAVAILABLE`` and
``GATEWAY_TIMEOUT``. Field errors go in ``details.errors`` as ``[{"loc", "msg", "type"}]``
(the shape seed 003's 422 clients read).
"""

import structlog
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response

from core import errors
from core.degraded import CACHE_ERRORS, DATABASE_ERRORS
from core.errors import (  # noqa: F401  (the names callers import from here)
    Conflict,
    InvalidIccid,
    UpstreamNotConnected,
    UpstreamWriteFailed,
    field_errors,
)
from core.errors import InvalidInput as Unprocessable  # noqa: F401
from core.errors import Unavailable as ServiceUnavailable  # noqa: F401
from core.outcomes import ErrorCode, upstream_status
from upstream.exceptions import UpstreamError

logger = structlog.get_logger(__name__)


class ApiError(exceptions.APIException):
    """An error with a FleetOps error code; raise a subclass or pass ``code``/``details``."""

    status_code = status.HTTP_400_BAD_REQUEST
    error_code = ErrorCode.BAD_REQUEST
    default_detail = "The request could not be processed."

    def __init__(self, message: str | None = None, *, details: dict | None = None):
        super().__init__(message or self.default_detail)
        self.details = details or {}


class PayloadTooLarge(ApiError):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    error_code = ErrorCode.PAYLOAD_TOO_LARGE
    default_detail = "The request body is too large."


class InvalidApiKey(exceptions.AuthenticationFailed):
    default_detail = "API key is invalid, revoked or expired."
    default_code = "invalid_api_key"


# DRF's own exceptions, by class, to (status, code). Checked in order: subclasses first.
_DRF_CODES: list[tuple[type[Exception], str]] = [
    (InvalidApiKey, ErrorCode.INVALID_API_KEY),
    (exceptions.NotAuthenticated, ErrorCode.UNAUTHORIZED),
    (exceptions.AuthenticationFailed, ErrorCode.UNAUTHORIZED),
    (exceptions.PermissionDenied, ErrorCode.FORBIDDEN),
    (exceptions.NotFound, ErrorCode.NOT_FOUND),
    (exceptions.MethodNotAllowed, ErrorCode.METHOD_NOT_ALLOWED),
    (exceptions.NotAcceptable, ErrorCode.NOT_ACCEPTABLE),
    (exceptions.UnsupportedMediaType, ErrorCode.UNSUPPORTED_MEDIA_TYPE),
    (exceptions.Throttled, ErrorCode.RATE_LIMIT_EXCEEDED),
    (exceptions.ParseError, ErrorCode.BAD_REQUEST),
]

# Domain errors (``core.errors``), by class, to their status. Checked in order: subclasses first.
_DOMAIN_STATUSES: list[tuple[type[errors.DomainError], int]] = [
    (errors.NotFound, status.HTTP_404_NOT_FOUND),
    (errors.NotAuthenticated, status.HTTP_401_UNAUTHORIZED),
    (errors.PermissionDenied, status.HTTP_403_FORBIDDEN),
    (errors.InvalidInput, status.HTTP_422_UNPROCESSABLE_ENTITY),
    (errors.Conflict, status.HTTP_409_CONFLICT),
    (errors.Unavailable, status.HTTP_503_SERVICE_UNAVAILABLE),
    (errors.DomainError, status.HTTP_400_BAD_REQUEST),
]


def domain_status(exc: errors.DomainError) -> tuple[int, str]:
    """The HTTP status and error code of a domain error."""
    if isinstance(exc, errors.UpstreamWriteFailed):
        return upstream_status(exc.cause)
    return next(s for cls, s in _DOMAIN_STATUSES if isinstance(exc, cls)), exc.code


def error_payload(code: str, message: str, details: dict | None = None) -> dict:
    """The ``error`` member of the envelope (the renderer adds ``success`` and ``meta``)."""
    from core.renderers import utc_timestamp

    return {
        "code": code,
        "message": message,
        "details": details or {},
        "timestamp": utc_timestamp(),
    }


def error_response(
    code: str, message: str, status_code: int, details: dict | None = None, headers=None
) -> Response:
    return Response(
        {"error": error_payload(code, message, details)}, status=status_code, headers=headers
    )


def exception_handler(exc: Exception, context: dict) -> Response:
    """DRF's EXCEPTION_HANDLER: every failure of an API view becomes an error envelope."""
    # Imported here: authentication classes import this module while rest_framework.views
    # is still initialising.
    from rest_framework.views import set_rollback

    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, RequestDataTooBig):  # Django's DATA_UPLOAD_MAX_MEMORY_SIZE on request.body
        exc = PayloadTooLarge()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):  # model and password validation in services
        detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        exc = exceptions.ValidationError(detail)

    headers = {}
    if isinstance(exc, exceptions.ValidationError):
        response = error_response(
            ErrorCode.VALIDATION_ERROR,
            "Request validation failed.",
            status.HTTP_422_UNPROCESSABLE_ENTITY,
            {"errors": field_errors(exc.detail)},
        )
    elif isinstance(exc, ApiError):
        response = error_response(exc.error_code, str(exc.detail), exc.status_code, exc.details)
    elif isinstance(exc, errors.DomainError):
        status_code, code = domain_status(exc)
        headers.update(getattr(exc, "headers", None) or {})
        response = error_response(code, exc.message, status_code, exc.details, headers)
    elif isinstance(exc, exceptions.APIException):
        code = next((c for cls, c in _DRF_CODES if isinstance(exc, cls)), ErrorCode.BAD_REQUEST)
        details = {}
        message = str(exc.detail) if not isinstance(exc.detail, dict | list) else exc.default_detail
        if isinstance(exc, exceptions.Throttled):
            wait = max(1, int(exc.wait or 1))
            details = {"retry_after": wait}
            message = f"Rate limit exceeded. Try again in {wait} seconds."
            headers["Retry-After"] = str(wait)
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        status_code = exc.status_code
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            status_code = status.HTTP_401_UNAUTHORIZED  # DRF says 403 when no auth header
        response = error_response(code, message, status_code, details, headers)
    elif isinstance(exc, DATABASE_ERRORS + CACHE_ERRORS):
        # A dependency outage, not a bug: the client may retry (reads fall back where they can,
        # see core.degraded; a write that needs the dependency stops here, rolled back).
        database = isinstance(exc, DATABASE_ERRORS)
        logger.warning(
            "dependency_unavailable",
            dependency="database" if database else "cache",
            error=type(exc).__name__,
        )
        response = error_response(
            ErrorCode.SERVICE_UNAVAILABLE,
            f"The {'database' if database else 'cache (Redis)'} is unavailable or too slow "
            "right now. Try again shortly.",
            status.HTTP_503_SERVICE_UNAVAILABLE,
            {"dependency": "database" if database else "cache"},
            {"Retry-After": "5"},
        )
    elif isinstance(exc, UpstreamError):
        status_code, code = upstream_status(exc)
        logger.warning("upstream_failure", error=str(exc), upstream=exc.upstream)
        response = error_response(code, exc.public_message, status_code, exc.public_details)
    else:
        logger.exception("unhandled_exception", view=type(context.get("view")).__name__)
        response = error_response(
            ErrorCode.INTERNAL_ERROR,
            "An internal error occurred. Quote the request id when reporting it.",
            status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    set_rollback()
    return response
