"""Malformed API requests answer a 4xx envelope, never a 500 or an HTML page: deep or large
JSON bodies, NUL bytes in path ids, unknown paths with any method."""

import io
import json

import pytest
from rest_framework.test import APIClient

from core.exceptions import PayloadTooLarge
from core.parsers import MAX_JSON_DEPTH, FleetJSONParser, json_depth
from core.tests.api import assert_error_envelope
from sims.tests.factories import SimFactory

pytestmark = [pytest.mark.urls("core.tests.urls"), pytest.mark.django_db]


def nested(depth: int, leaf=1):
    value = leaf
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


@pytest.fixture
def anonymous():
    # CSRF enforced as a browser-less caller meets it, without a session.
    return APIClient(enforce_csrf_checks=True)


# --- JSON depth -----------------------------------------------------------------------------


@pytest.mark.parametrize("body", ["[" * 1000 + "]" * 1000, '{"a":' * 1000 + "1" + "}" * 1000])
def test_json_nested_a_thousand_deep_is_400_on_anonymous_login(anonymous, body):
    response = anonymous.post("/api/v1/auth/login", body, content_type="application/json")
    assert response.status_code == 400
    assert_error_envelope(response.json(), "BAD_REQUEST")


def test_json_just_over_the_depth_limit_is_400(api_client):
    body = json.dumps({"name": "a", "count": 1, "extra": nested(MAX_JSON_DEPTH)})
    response = api_client.post("/api/v1/echo", body, content_type="application/json")
    assert response.status_code == 400
    assert str(MAX_JSON_DEPTH) in response.json()["error"]["message"]


def test_json_at_the_depth_limit_is_parsed(api_client):
    body = json.dumps({"name": "a", "count": 1, "extra": nested(MAX_JSON_DEPTH - 1)})
    response = api_client.post("/api/v1/echo", body, content_type="application/json")
    assert response.status_code == 201


def test_json_depth_counts_without_recursion():
    assert json_depth(1, limit=5) == 0
    assert json_depth({"a": [1, {"b": []}]}, limit=5) == 4
    assert json_depth(nested(7), limit=7) == 7
    assert json_depth(nested(100_000), limit=40) == 41  # stops early, no RecursionError


# --- Body size ------------------------------------------------------------------------------


def test_body_over_the_cap_is_413_for_anonymous_callers(anonymous, settings):
    settings.API_MAX_BODY_BYTES = 1000
    body = json.dumps({"username": "u" * 2000, "password": "p"})
    response = anonymous.post("/api/v1/auth/login", body, content_type="application/json")
    assert response.status_code == 413
    payload = response.json()
    assert_error_envelope(payload, "PAYLOAD_TOO_LARGE")
    assert payload["error"]["details"] == {"max_bytes": 1000}


def test_body_at_the_cap_is_read(api_client, settings):
    body = json.dumps({"name": "a", "count": 1})
    settings.API_MAX_BODY_BYTES = len(body)
    response = api_client.post("/api/v1/echo", body, content_type="application/json")
    assert response.status_code == 201


def test_parser_caps_the_bytes_it_reads(settings):
    """A body read without a truthful Content-Length still stops at the cap."""
    settings.API_MAX_BODY_BYTES = 10
    with pytest.raises(PayloadTooLarge):
        FleetJSONParser().parse(io.BytesIO(b'{"a": "0123456789"}'))
    assert FleetJSONParser().parse(io.BytesIO(b'{"a": 1}')) == {"a": 1}


@pytest.mark.parametrize("url", ["/api/v1/raw", "/api/v1/plain-raw"])
def test_django_data_upload_limit_is_the_413_envelope(api_client, settings, url):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    response = api_client.post(url, "x" * 500, content_type="application/octet-stream")
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert_error_envelope(response.json(), "PAYLOAD_TOO_LARGE")


def test_malformed_content_length_is_400(anonymous):
    response = anonymous.post(
        "/api/v1/auth/login", "{}", content_type="application/json", CONTENT_LENGTH="12abc"
    )
    assert response.status_code == 400
    assert_error_envelope(response.json(), "BAD_REQUEST")


# --- NUL bytes in path ids ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/v1/jobs/%00"),
        ("get", "/api/v1/sims/{iccid}/sms/%00x"),
        ("delete", "/api/v1/sims/{iccid}/sms/%00x"),
        ("delete", "/api/v1/auth/api-keys/%00"),
        ("get", "/api/v1/sims/%00"),
    ],
)
def test_nul_byte_in_a_path_id_is_404(operator_client, organization, method, url):
    sim = SimFactory(organization=organization)  # the SIM exists: the id is what is looked up
    response = getattr(operator_client, method)(url.format(iccid=sim.iccid))
    assert response.status_code == 404
    assert_error_envelope(response.json(), "NOT_FOUND")


# --- Unknown API paths ----------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete"])
@pytest.mark.parametrize("url", ["/api/v1/no-such-thing", "/api/nothing/here", "/api"])
def test_any_method_on_an_unknown_api_path_is_the_404_envelope(anonymous, method, url):
    if method == "get":
        response = anonymous.get(url)
    else:
        response = getattr(anonymous, method)(url, "{}", content_type="application/json")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert_error_envelope(response.json(), "NOT_FOUND")
