"""Plain Django views outside /api/v1: the landing page, health, metrics, the docs (CSP,
/openapi.json, the offline ReDoc bundle) and the envelope for unknown API paths."""

import functools
import hmac
from pathlib import Path

from csp.decorators import csp_update
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views import View
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_GET
from django_prometheus.exports import ExportToDjangoView
from drf_spectacular.views import SpectacularJSONAPIView
from rest_framework.negotiation import BaseContentNegotiation

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


@require_GET
def landing(request):
    """``/``: what FleetOps is and the way to the console, the API, its docs and health (the
    admin's "View site" link comes here)."""
    return render(request, "core/landing.html", {"simulators": settings.SIMULATORS_ENABLED})


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


# The one thing ReDoc's bundle loads from outside: the "API docs by Redocly" footer logo, drawn
# unconditionally (no option turns it off). Pointed at an empty data URI, the image fails at
# once and ReDoc drops it, with no request leaving the browser.
REDOC_BUNDLE = "drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"
REDOC_REMOTE_LOGO = b"https://cdn.redoc.ly/redoc/logo-mini.svg"


@functools.cache
def offline_redoc_bundle() -> bytes:
    """The sidecar's ReDoc bundle with its remote logo taken out (read once per process)."""
    bundle = Path(finders.find(REDOC_BUNDLE)).read_bytes()
    return bundle.replace(REDOC_REMOTE_LOGO, b"data:,")


@require_GET
@cache_control(public=True, max_age=86400)
def redoc_bundle(request):
    return HttpResponse(offline_redoc_bundle(), content_type="text/javascript; charset=utf-8")


class FirstRenderer(BaseContentNegotiation):
    """Answers with the view's first renderer whatever the ``Accept`` header asks for."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class OpenApiJsonView(SpectacularJSONAPIView):
    """``/openapi.json``: the schema in JSON for any client (tools go by the name, and a
    browser's ``Accept`` would otherwise get 406); ``/api/schema/`` negotiates JSON or YAML."""

    content_negotiation_class = FirstRenderer


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
