import pytest

from core.tests.api import assert_error_envelope, assert_success_envelope

pytestmark = [pytest.mark.urls("core.tests.urls"), pytest.mark.django_db]


def test_success_is_wrapped_in_envelope(api_client):
    body = api_client.get("/api/v1/echo").json()
    assert_success_envelope(body)
    assert body["data"] == {"hello": "world"}


def test_created_object_is_wrapped_in_envelope(api_client):
    response = api_client.post("/api/v1/echo", {"name": "a", "count": 2}, format="json")
    assert response.status_code == 201
    assert response.json()["data"] == {"name": "a", "count": 2}


def test_validation_error_is_422_with_field_locations(api_client):
    response = api_client.post(
        "/api/v1/echo", {"name": "far too long a name", "tags": ["ok", "long"]}, format="json"
    )
    assert response.status_code == 422
    body = response.json()
    assert_error_envelope(body, "VALIDATION_ERROR")
    errors = {tuple(e["loc"]): e for e in body["error"]["details"]["errors"]}
    assert set(errors) == {("name",), ("count",), ("tags", 1)}
    assert errors[("count",)]["type"] == "value_error.required"
    assert all(e["msg"] for e in errors.values())


def test_malformed_json_is_400_bad_request(api_client):
    response = api_client.post("/api/v1/echo", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert_error_envelope(response.json(), "BAD_REQUEST")


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [
        ("iccid", 400, "INVALID_ICCID"),
        ("conflict", 409, "CONFLICT"),
        ("upstream", 502, "UPSTREAM_ERROR"),
        ("unavailable", 503, "SERVICE_UNAVAILABLE"),
        ("timeout", 504, "GATEWAY_TIMEOUT"),
    ],
)
def test_domain_errors_map_to_codes(api_client, kind, status, code):
    response = api_client.get(f"/api/v1/fail/{kind}")
    assert response.status_code == status
    assert_error_envelope(response.json(), code)


def test_invalid_iccid_keeps_its_details(api_client):
    details = api_client.get("/api/v1/fail/iccid").json()["error"]["details"]
    assert details == {"field": "iccid", "reason": "Must be 19-20 digits"}


def test_upstream_rejection_names_upstream_status_and_message(api_client):
    details = api_client.get("/api/v1/fail/upstream").json()["error"]["details"]
    assert details == {"upstream": "1nce", "upstream_status": 400, "upstream_message": "bad label"}


def test_unknown_exception_is_500_without_internals(api_client):
    response = api_client.get("/api/v1/fail/crash")
    assert response.status_code == 500
    body = response.json()
    assert_error_envelope(body, "INTERNAL_ERROR")
    assert "hunter2" not in response.content.decode()
    assert "RuntimeError" not in response.content.decode()


def test_unknown_api_path_is_404_envelope(api_client):
    response = api_client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert_error_envelope(response.json(), "NOT_FOUND")


def test_wrong_method_is_405_envelope(api_client):
    response = api_client.delete("/api/v1/echo")
    assert response.status_code == 405
    assert_error_envelope(response.json(), "METHOD_NOT_ALLOWED")


def test_missing_credentials_is_401_envelope(api_client):
    response = api_client.get("/api/v1/jobs")
    assert response.status_code == 401
    assert_error_envelope(response.json(), "UNAUTHORIZED")
