"""Plain Django views outside /api/v1: health, metrics, the docs' CSP and the envelope for
unknown API paths."""

import hmac

from csp.decorators import csp_update
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_prometheus.exports import ExportToDjangoView

from core.exceptions import ErrorCode, error_payload
from core.health import DEGRADED, UNHEALTHY, readiness_checks, run_checks
from core.net import client_address
from core.renderers import meta_for, utc_timestamp


def error_json(
    request, code: str, message: str, status: int, details: dict | None = None
) -> JsonResponse:
    """The error envelope outside DRF (middleware, Django's error handlers, plain views)."""
    body = {
        "success": False,
        "error": error_payload(code, message, details),
        "meta": meta_for(request),
    }
    return JsonResponse(body, status=status)


@never_cache
@require_GET
def health(request):
    return JsonResponse({"status": "healthy", "timestamp": utc_timestamp()})


@never_cache
@require_GET
def health_live(request):
    return JsonResponse({"status": "alive", "timestamp": utc_timestamp()})


@never_cache
@require_GET
def health_ready(request):
    """200 ``ready`` or ``degraded`` (an optional dependency is down: named in ``degraded``),
    503 ``not_ready`` when a required one is (named in ``failing``); see ``core.health``."""
    checks = run_checks(readiness_checks())
    failing = [name for name, result in checks.items() if result == UNHEALTHY]
    degraded = [name for name, result in checks.items() if result == DEGRADED]
    body = {
        "status": "not_ready" if failing else "degraded" if degraded else "ready",
        "checks": checks,
        "timestamp": utc_timestamp(),
    }
    if failing:
        body["failing"] = failing
    if degraded:
        body["degraded"] = degraded
    return JsonResponse(body, status=503 if failing else 200)


# Answered whatever the Host header (core.middleware.HealthProbeMiddleware).
HEALTH_VIEWS = frozenset({health, health_live, health_ready})


def metrics_allowed(request) -> bool:
    """The ``METRICS_TOKEN`` bearer token, or (outside production) an allowed address.

    Production ignores addresses: behind a reverse proxy on the same host every request comes
    from loopback, so an address rule would open the metrics to the internet."""
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer "):
        return hmac.compare_digest(header.removeprefix("Bearer ").strip(), token)
    if settings.PRODUCTION:
        return False
    return client_address(request) in settings.METRICS_ALLOWED_IPS


@never_cache
@require_GET
def metrics(request):
    if not metrics_allowed(request):
        if settings.PRODUCTION:
            message = (
                "Metrics need the METRICS_TOKEN bearer token."
                if settings.METRICS_TOKEN
                else "Metrics are off: set METRICS_TOKEN to serve them in production."
            )
        else:
            message = "Metrics need the METRICS_TOKEN bearer token or an allowed address."
        return error_json(request, ErrorCode.FORBIDDEN, message, 403)
    return ExportToDjangoView(request)


# What Swagger UI and ReDoc (drf-spectacular-sidecar) need beyond the site-wide policy, found by
# loading both in Chromium: inline styles (Swagger's page <style>, ReDoc's styled-components)
# and, for ReDoc's search, a worker started from a blob: URL. Scripts stay 'self' only (Swagger
# UI's init script is served as a file by SpectacularSwaggerSplitView).
docs_csp = csp_update({"style-src": ["'unsafe-inline'"], "worker-src": ["'self'", "blob:"]})


class ApiNotFoundView(View):
    """Any method on an unknown /api path: the 404 envelope. It defines no ``get``/``post``
    handlers on purpose, so URL introspection does not take it for a served endpoint."""

    def dispatch(self, request, *args, **kwargs):
        return error_json(request, ErrorCode.NOT_FOUND, "No API endpoint at this path.", 404)


api_not_found = ApiNotFoundView.as_view()


def handler400(request, exception=None):
    """Django's 400 (a SuspiciousOperation outside DRF) as the envelope; a body over
    ``DATA_UPLOAD_MAX_MEMORY_SIZE`` is the 413 the API answers for any oversized body."""
    if isinstance(exception, RequestDataTooBig):
        return error_json(
            request,
            ErrorCode.PAYLOAD_TOO_LARGE,
            "The request body is too large.",
            413,
            {"max_bytes": settings.DATA_UPLOAD_MAX_MEMORY_SIZE},
        )
    return error_json(request, ErrorCode.BAD_REQUEST, "Bad request.", 400)


def handler404(request, exception=None):
    return error_json(request, ErrorCode.NOT_FOUND, "Not found.", 404)


def handler500(request):
    return error_json(
        request,
        ErrorCode.INTERNAL_ERROR,
        "An internal error occurred. Quote the request id when reporting it.",
        500,
    )
