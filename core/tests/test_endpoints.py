"""Every served endpoint of ``shared/spec/endpoints.tsv`` refuses anonymous callers with a 401
envelope (but the public ones) and a viewer's writes with 403 (but self-service ones).

Tenant isolation needs objects and lives in each app's tests (``core.tests.api`` cases).

The matrix's data lives beside the repository (``core.tests.spec``): missing, it fails in CI
and skips, saying so, elsewhere.
"""

import pytest
from django.urls import Resolver404, resolve
from rest_framework.test import APIClient

from accounts.models import Role
from core.tests.api import assert_error_envelope
from core.tests.spec import SPEC, require_spec, spec_rows
from core.views import ApiNotFoundView

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


# Reads made by POST (seed 003's legacy readsub): every role may call them.
READS_BY_POST = {"/api/pmnl/readsub"}


def served_endpoints():
    rows = []
    for method, path, _ in spec_rows():
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
pytestmark = pytest.mark.django_db


def test_endpoint_matrix_has_its_data():
    require_spec(SPEC)
    assert ENDPOINTS, f"no served endpoint found in {SPEC}"


def test_missing_matrix_data_fails_in_ci(tmp_path):
    with pytest.raises(pytest.fail.Exception, match="fails instead of skipping"):
        require_spec(tmp_path / "endpoints.tsv", {"CI": "true"})


@pytest.mark.parametrize("environ", [{}, {"CI": ""}, {"CI": "false"}])
def test_missing_matrix_data_skips_outside_ci(tmp_path, environ):
    with pytest.raises(pytest.skip.Exception, match="endpoint matrix needs"):
        require_spec(tmp_path / "endpoints.tsv", environ)


@pytest.mark.parametrize(("method", "path", "concrete"), ENDPOINTS)
def test_anonymous_caller_gets_401_envelope(method, path, concrete):
    if path in PUBLIC:
        pytest.skip("public endpoint")
    response = getattr(APIClient(), method.lower())(concrete, {}, format="json")
    assert response.status_code == 401, response.content
    assert_error_envelope(response.json(), "UNAUTHORIZED")


@pytest.mark.parametrize(("method", "path", "concrete"), ENDPOINTS)
def test_viewer_cannot_write(method, path, concrete, client_for):
    if method == "GET" or path in PUBLIC or path in SELF_SERVICE or path in READS_BY_POST:
        pytest.skip("not a write a viewer is refused")
    response = getattr(client_for(Role.VIEWER), method.lower())(concrete, {}, format="json")
    assert response.status_code == 403, response.content
    assert_error_envelope(response.json(), "FORBIDDEN")
