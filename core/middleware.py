"""Request id, access log and the request's upstream deadline.

The request id comes from a sanitised ``X-Request-ID`` header or is made here; it is bound to
the logging context, put on ``request.request_id`` (the envelope's ``meta.request_id``) and
returned in the ``X-Request-ID`` response header.
"""

import re
import time
import uuid

import structlog
from django.conf import settings

from core.logging import redact_query
from upstream.deadline import deadline

logger = structlog.get_logger("fleetops.access")

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def new_request_id() -> str:
    return f"req_{uuid.uuid4().hex}"


def sanitise_request_id(value: str | None) -> str:
    """Accept a caller's id only when it is short and plain; otherwise make our own."""
    if value and _VALID_REQUEST_ID.match(value):
        return value
    return new_request_id()


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        request.request_id = sanitise_request_id(request.headers.get(REQUEST_ID_HEADER))
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request.request_id)
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request.request_id
            logger.info(
                "request",
                method=request.method,
                path=request.path,
                query=redact_query(request.META.get("QUERY_STRING", "")),
                status=response.status_code,
                duration_ms=round((time.perf_counter() - started) * 1000, 2),
            )
            return response
        finally:
            structlog.contextvars.clear_contextvars()


class RequestDeadlineMiddleware:
    """Gives each request ``REQUEST_DEADLINE_SECONDS`` for all of its upstream calls together.

    Retries, backoff and timeouts of every 1NCE (or other upstream) call the request makes come
    out of that one budget (``upstream.deadline``), so a hanging upstream ends in the stale
    answer or a 504 before gunicorn kills the worker. Celery tasks run without it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with deadline(settings.REQUEST_DEADLINE_SECONDS):
            return self.get_response(request)
