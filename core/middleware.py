"""Request id, access log, the request's upstream deadline, the guard that refuses
malformed API requests up front and the health probes' way past the Host check; and the
lighter takes on third-party middleware every request pays for (CSP headers built once,
Prometheus children found once, no message storage for the API).

The request id comes from a sanitised ``X-Request-ID`` header or is made here; it is bound to
the logging context, put on ``request.request_id`` (the envelope's ``meta.request_id``) and
returned in the ``X-Request-ID`` response header.
"""

import re
import time
import uuid

import structlog
from csp import constants as csp_constants
from csp import middleware as csp_middleware
from csp import utils as csp_utils
from django.conf import settings
from django.contrib.messages.middleware import MessageMiddleware
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import Resolver404, resolve
from django_prometheus import middleware as prometheus_middleware

from core import cycles
from core.exceptions import ErrorCode
from core.logging import redact_query
from core.views import HEALTH_VIEWS, error_json
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


class ReleaseRequestMiddleware:
    """Frees each request's objects as soon as it is answered, not at the next cyclic
    collection (``core.cycles``). Outermost, so every other middleware is done with the
    request; a streamed answer, still to be produced, keeps its objects.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not response.streaming:
            cycles.release(request, response)
        return response


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


def is_api_path(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


class RequestGuardMiddleware:
    """Refuse, before any view or authentication runs, API requests no view could answer:

    - a NUL byte in the path: PostgreSQL refuses NUL in text, so an id carrying one would
      reach the database as a 500; no resource has such an id, so it is a 404;
    - a body declared larger than ``API_MAX_BODY_BYTES`` (413; the JSON parser enforces the
      same cap on the bytes it reads), or a malformed ``Content-Length`` (400).

    Answers are the error envelope, for anonymous callers too.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if is_api_path(request.path_info):
            refusal = self.refuse(request)
            if refusal is not None:
                return refusal
        return self.get_response(request)

    def refuse(self, request):
        if "\x00" in request.path_info:
            return error_json(request, ErrorCode.NOT_FOUND, "No API endpoint at this path.", 404)
        declared = request.META.get("CONTENT_LENGTH") or "0"
        if not declared.isascii() or not declared.isdigit():
            return error_json(
                request, ErrorCode.BAD_REQUEST, "Content-Length must be a whole number.", 400
            )
        limit = settings.API_MAX_BODY_BYTES
        if int(declared) > limit:
            return error_json(
                request,
                ErrorCode.PAYLOAD_TOO_LARGE,
                f"The request body exceeds {limit} bytes.",
                413,
                {"max_bytes": limit},
            )
        return None


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


class HealthProbeMiddleware:
    """The health endpoints answer whatever the ``Host`` header: a container healthcheck or a
    load balancer probes ``127.0.0.1:8000`` or the instance's own address, which
    ``ALLOWED_HOSTS`` (the public names) rightly refuses with 400 everywhere else.

    It sits just before ``CommonMiddleware``, the first to check the Host, and calls the health
    view itself; the middleware above it (request id, access log, metrics, security headers)
    still see the probe. The views read nothing from the request but its method.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith("/health"):
            try:
                match = resolve(request.path_info)
            except Resolver404:
                match = None
            if match is not None and match.func in HEALTH_VIEWS:
                return match.func(request, *match.args, **match.kwargs)
        return self.get_response(request)


_PER_RESPONSE_POLICY = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
)


class CSPMiddleware(csp_middleware.CSPMiddleware):
    """django-csp's middleware, the policy built once per configuration.

    django-csp builds both headers (the policy and the report-only one) from the settings on
    every answer. An answer with no nonce asked for and no policy of its own (``csp_update``
    and friends) gets the same two strings every time: they are built once, by django-csp's
    ``build_policy``, and built again when a setting changes (tests). Any other answer takes
    django-csp's own path."""

    _defaults: dict[bool, str] = {}

    def process_response(self, request, response):
        if getattr(request, "_csp_nonce", None) is not None or any(
            hasattr(response, name) for name in _PER_RESPONSE_POLICY
        ):
            return super().process_response(request, response)
        if response.status_code in (500, 404) and settings.DEBUG:
            return response
        for report_only, header, setting in (
            (False, csp_constants.HEADER, "CONTENT_SECURITY_POLICY"),
            (True, csp_constants.HEADER_REPORT_ONLY, "CONTENT_SECURITY_POLICY_REPORT_ONLY"),
        ):
            policy = self._defaults.get(report_only)
            if policy is None:
                policy = self._defaults[report_only] = csp_utils.build_policy(
                    report_only=report_only
                )
            if not policy or header in response:
                continue
            exempt = "_csp_exempt_ro" if report_only else "_csp_exempt"
            prefixes = (getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES") or ()
            if getattr(response, exempt, False) is False and not request.path_info.startswith(
                tuple(prefixes)
            ):
                response[header] = policy
        request.csp_nonce = csp_middleware.CheckableLazyObject(self._csp_nonce_post_response)
        return response


@receiver(setting_changed)
def _forget_csp_policies(setting, **kwargs):
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        CSPMiddleware._defaults.clear()


class ConsoleMessageMiddleware(MessageMiddleware):
    """Django's messages for the console; the API never shows one, so its requests skip the
    message storage Django would set up (a cookie and a session store) on every request."""

    def process_request(self, request):
        if not is_api_path(request.path_info):
            super().process_request(request)


class _LabelledChildren:
    """``metric.labels(**labels)`` for the same labels is the same child every time:
    prometheus_client checks the names and takes a lock to find it, per metric and request.
    Children are kept here by their labels (a bounded set: views, methods, statuses)."""

    _MAX_CHILDREN = 10_000

    def __init__(self):
        self._children = {}

    def label_metric(self, metric, request, response=None, **labels):
        if not labels:
            return metric
        key = (id(metric), *labels.items())
        child = self._children.get(key)
        if child is None:
            if len(self._children) >= self._MAX_CHILDREN:
                self._children.clear()
            child = self._children[key] = metric.labels(**labels)
        return child


class PrometheusBeforeMiddleware(prometheus_middleware.PrometheusBeforeMiddleware):
    """django-prometheus's, its labelled children found once (:class:`_LabelledChildren`)."""

    def __init__(self, get_response):
        super().__init__(get_response)
        self.label_metric = _LabelledChildren().label_metric


class PrometheusAfterMiddleware(prometheus_middleware.PrometheusAfterMiddleware):
    """django-prometheus's, its labelled children found once (:class:`_LabelledChildren`)."""

    def __init__(self, get_response):
        super().__init__(get_response)
        self.label_metric = _LabelledChildren().label_metric
