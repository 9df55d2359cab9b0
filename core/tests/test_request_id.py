import logging

import pytest

pytestmark = [pytest.mark.urls("core.tests.urls"), pytest.mark.django_db]


def test_request_id_is_made_when_absent(api_client):
    response = api_client.get("/api/v1/echo")
    request_id = response["X-Request-ID"]
    assert request_id.startswith("req_")
    assert response.json()["meta"]["request_id"] == request_id


def test_incoming_request_id_round_trips(api_client):
    response = api_client.get("/api/v1/echo", HTTP_X_REQUEST_ID="trace-42.abc")
    assert response["X-Request-ID"] == "trace-42.abc"
    assert response.json()["meta"]["request_id"] == "trace-42.abc"


@pytest.mark.parametrize("bad", ["has spaces", "x" * 200, "new\nline", "<script>"])
def test_unsafe_request_id_is_replaced(api_client, bad):
    response = api_client.get("/api/v1/echo", HTTP_X_REQUEST_ID=bad)
    assert response["X-Request-ID"].startswith("req_")


def test_error_envelope_carries_request_id(api_client):
    response = api_client.get("/api/v1/fail/conflict", HTTP_X_REQUEST_ID="abc-123")
    assert response.json()["meta"]["request_id"] == "abc-123"


def test_request_id_is_in_every_log_line_of_the_request(api_client, caplog):
    caplog.set_level(logging.INFO)
    api_client.get("/api/v1/fail/crash", HTTP_X_REQUEST_ID="log-me-1")
    lines = [r for r in caplog.records if isinstance(r.msg, dict)]
    events = {r.msg["event"]: r.msg for r in lines}
    assert events["unhandled_exception"]["request_id"] == "log-me-1"
    access = events["request"]
    assert access["request_id"] == "log-me-1"
    assert access["status"] == 500
    assert access["method"] == "GET"
    assert access["path"] == "/api/v1/fail/crash"
    assert "duration_ms" in access
