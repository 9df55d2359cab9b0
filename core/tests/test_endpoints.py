"""Every served endpoint of ``shared/spec/endpoints.tsv`` refuses anonymous callers with a 401
envelope (but the public ones) and a viewer's writes with 403 (but self-service ones).

Tenant isolation needs objects and lives in each app's tests (``core.tests.api`` cases).
"""

from pathlib import Path

import pytest
from django.urls import Resolver404, resolve
from rest_framework.test import APIClient

from accounts.models import Role
from core.tests.api import assert_error_envelope
from core.views import ApiNotFoundView

SPEC = Path(__file__).resolve().parents[3] / "shared" / "spec" / "endpoints.tsv"
SAMPLE = "8988228666000000001"
PUBLIC = {
    "/health",
    "/health/ready",
    "/health/live",
    "/metrics",
    "/api/schema/",
    "/docs",
    "/redoc",
    "/openapi.json",
    "/api/v1/auth/login",
    "/api/v1/auth/refresh",
    "/api/auth/register",
    "/api/auth/login",
    "/api/auth/refresh",
}
# Writes any role may make about itself.
SELF_SERVICE = {
    "/api/v1/auth/logout",
    "/api/auth/logout",
    "/api/v1/auth/api-keys",
    "/api/v1/auth/api-keys/{id}",
}


def served_endpoints():
    if not SPEC.exists():
        return []
    rows = []
    for line in SPEC.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        method, path, *_ = line.split("\t")
        concrete = "/".join(SAMPLE if p.startswith("{") else p for p in path.split("/"))
        try:
            match = resolve(concrete)
        except Resolver404:
            continue
        if getattr(match.func, "view_class", None) is ApiNotFoundView:
            continue  # not served yet: api_coverage.py reports it
        rows.append(pytest.param(method, path, concrete, id=f"{method} {path}"))
    return rows


ENDPOINTS = served_endpoints()
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not SPEC.exists(), reason="shared/spec/endpoints.tsv not beside the repo"),
]


@pytest.mark.parametrize(("method", "path", "concrete"), ENDPOINTS)
def test_anonymous_caller_gets_401_envelope(method, path, concrete):
    if path in PUBLIC:
        pytest.skip("public endpoint")
    response = getattr(APIClient(), method.lower())(concrete, {}, format="json")
    assert response.status_code == 401, response.content
    assert_error_envelope(response.json(), "UNAUTHORIZED")


@pytest.mark.parametrize(("method", "path", "concrete"), ENDPOINTS)
def test_viewer_cannot_write(method, path, concrete, client_for):
    if method == "GET" or path in PUBLIC or path in SELF_SERVICE:
        pytest.skip("not a write a viewer is refused")
    response = getattr(client_for(Role.VIEWER), method.lower())(concrete, {}, format="json")
    assert response.status_code == 403, response.content
    assert_error_envelope(response.json(), "FORBIDDEN")
