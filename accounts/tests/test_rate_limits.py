import time

import pytest
from rest_framework.test import APIClient

from accounts.services import issue_api_key

pytestmark = pytest.mark.django_db


def keyed(raw):
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=raw)
    return client


def test_every_api_response_carries_rate_limit_headers(make_user):
    _, raw = issue_api_key(user=make_user(), name="x")
    client = keyed(raw)
    first = client.get("/api/v1/auth/me")
    second = client.get("/api/v1/auth/me")
    assert first["X-RateLimit-Limit"] == "100"
    assert int(first["X-RateLimit-Remaining"]) == 99
    assert int(second["X-RateLimit-Remaining"]) == 98
    assert 0 < int(first["X-RateLimit-Reset"]) - time.time() <= 61


def test_101st_request_in_a_minute_is_429_across_two_clients(make_user):
    _, raw = issue_api_key(user=make_user(), name="x")
    clients = [keyed(raw), keyed(raw)]  # two separate clients, one key
    statuses = [clients[i % 2].get("/api/v1/auth/me").status_code for i in range(100)]
    assert set(statuses) == {200}
    response = clients[1].get("/api/v1/auth/me")
    assert response.status_code == 429
    body = response.json()
    assert body["error"]["code"] == "RATE_LIMIT_EXCEEDED"
    retry_after = int(response["Retry-After"])
    assert 0 < retry_after <= 60
    assert body["error"]["details"]["retry_after"] == retry_after
    assert response["X-RateLimit-Remaining"] == "0"


def test_hourly_limit_applies_too(make_user, settings):
    settings.RATE_LIMIT_PER_HOUR = 3
    _, raw = issue_api_key(user=make_user(), name="x")
    client = keyed(raw)
    assert [client.get("/api/v1/auth/me").status_code for _ in range(4)] == [200, 200, 200, 429]
    assert int(client.get("/api/v1/auth/me")["Retry-After"]) > 60


def test_limits_are_per_key(make_user, settings):
    settings.RATE_LIMIT_PER_MINUTE = 2
    user = make_user()
    _, first = issue_api_key(user=user, name="a")
    _, second = issue_api_key(user=user, name="b")
    assert [keyed(first).get("/api/v1/auth/me").status_code for _ in range(3)][-1] == 429
    assert keyed(second).get("/api/v1/auth/me").status_code == 200


def test_anonymous_callers_are_limited_per_address(settings):
    client = APIClient()
    statuses = [client.get("/api/v1/jobs").status_code for _ in range(21)]
    assert statuses[:20] == [401] * 20
    assert statuses[20] == 429


def test_bad_keys_count_against_the_address(settings):
    settings.RATE_LIMIT_ANON_PER_MINUTE = 3
    client = keyed("sk_live_guess.guess")
    statuses = [client.get("/api/v1/auth/me").status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]


def test_login_is_limited_to_five_a_minute_per_address(make_user):
    user = make_user()
    client = APIClient()
    statuses = [
        client.post(
            "/api/v1/auth/login", {"username": user.username, "password": "bad"}
        ).status_code
        for _ in range(6)
    ]
    assert statuses == [401] * 5 + [429]
    assert client.post("/api/v1/auth/login", {"username": "x", "password": "y"})["Retry-After"]
