import ipaddress
import random
import time

import pytest
from django.core.cache import cache
from django.test import RequestFactory
from django_redis import get_redis_connection
from rest_framework.test import APIClient

from accounts import services
from accounts.models import AuditLog
from accounts.services import issue_api_key, revoke_api_key
from core.context import SYSTEM
from core.net import client_address

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


def test_limits_are_per_user_across_their_keys(make_user, settings):
    settings.RATE_LIMIT_PER_MINUTE = 4
    user = make_user()
    keys = [issue_api_key(user=user, name=name)[1] for name in "abcd"]
    # Four keys of one user share the user's 4 a minute; they do not get 4 each.
    statuses = [keyed(raw).get("/api/v1/auth/me").status_code for raw in keys for _ in range(2)]
    assert statuses == [200] * 4 + [429] * 4
    jwt_client = APIClient()
    jwt_client.force_authenticate(user)
    assert jwt_client.get("/api/v1/auth/me").status_code == 429
    _, someone_elses = issue_api_key(user=make_user(), name="x")
    assert keyed(someone_elses).get("/api/v1/auth/me").status_code == 200


def test_one_key_cannot_use_more_than_the_per_key_limit(make_user, settings):
    settings.RATE_LIMIT_PER_MINUTE = 2
    _, raw = issue_api_key(user=make_user(), name="a")
    assert [keyed(raw).get("/api/v1/auth/me").status_code for _ in range(3)] == [200, 200, 429]


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


def random_address() -> str:
    return str(ipaddress.IPv4Address(random.getrandbits(32)))


def test_rotating_x_forwarded_for_does_not_bypass_the_login_limit(make_user):
    user = make_user()
    client = APIClient()
    statuses = [
        client.post(
            "/api/v1/auth/login",
            {"username": user.username, "password": "bad"},
            HTTP_X_FORWARDED_FOR=random_address(),
        ).status_code
        for _ in range(30)
    ]
    assert statuses == [401] * 5 + [429] * 25


def test_rotating_x_forwarded_for_does_not_bypass_the_anonymous_limit(settings):
    client = APIClient()
    statuses = [
        client.get("/api/v1/jobs", HTTP_X_FORWARDED_FOR=random_address()).status_code
        for _ in range(30)
    ]
    assert statuses == [401] * 20 + [429] * 10


def test_behind_one_proxy_the_right_most_forwarded_address_counts(make_user, settings):
    settings.NUM_PROXIES = 1
    user = make_user()
    client = APIClient()

    def attempt(forwarded):
        return client.post(
            "/api/v1/auth/login",
            {"username": user.username, "password": "bad"},
            HTTP_X_FORWARDED_FOR=forwarded,
        ).status_code

    # The client forges the left part; our proxy appends the address it saw.
    statuses = [attempt(f"{random_address()}, 203.0.113.7") for _ in range(6)]
    assert statuses == [401] * 5 + [429]
    assert attempt("203.0.113.8") == 401  # another client behind the same proxy
    entry = AuditLog.objects.filter(operation="LOGIN").order_by("-id").first()
    assert entry.ip_address == "203.0.113.8"


@pytest.mark.parametrize(
    ("num_proxies", "forwarded", "expected"),
    [
        (0, "198.51.100.1", "10.0.0.1"),
        (0, "", "10.0.0.1"),
        (1, "198.51.100.1, 198.51.100.2", "198.51.100.2"),
        (2, "198.51.100.1, 198.51.100.2, 198.51.100.3", "198.51.100.2"),
        (2, "198.51.100.9", "198.51.100.9"),  # the outer proxy was skipped
        (1, "", "10.0.0.1"),
        (1, "not-an-address", "10.0.0.1"),
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_client_address(settings, num_proxies, forwarded, expected):
    settings.NUM_PROXIES = num_proxies
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == expected


def test_a_cached_keys_rate_limits_are_counted_in_the_round_trip_that_reads_the_key(
    make_user, monkeypatch
):
    """Once the key is cached and this process knows its owner, reading the key counts the
    request's windows too: the throttle counts nothing more, the headers are as before."""
    _, raw = issue_api_key(user=make_user(), name="x")
    client = keyed(raw)
    assert client.get("/api/v1/auth/me")["X-RateLimit-Remaining"] == "99"

    def second_round_trip(counted):
        raise AssertionError(f"counted again: {counted}")

    monkeypatch.setattr("core.throttling.hit", second_round_trip)
    remaining = [client.get("/api/v1/auth/me")["X-RateLimit-Remaining"] for _ in range(3)]
    assert remaining == ["98", "97", "96"]


def test_a_forged_secret_with_a_real_keys_prefix_never_counts_against_that_key(
    make_user, settings, monkeypatch
):
    settings.RATE_LIMIT_PER_MINUTE = 3
    _, raw = issue_api_key(user=make_user(), name="x")
    assert keyed(raw).get("/api/v1/auth/me").status_code == 200  # cached, owner known
    prefix = raw.removeprefix("sk_live_").partition(".")[0]
    # Not even for a moment: the key's minute window as the secret is being checked.
    window, seen, usable = f"fleetops:rl:key:{prefix}:60", [], services._usable

    def watched(api_key, key):
        seen.append(int(get_redis_connection().get(window)))
        return usable(api_key, key)

    monkeypatch.setattr(services, "_usable", watched)
    forged = keyed(f"sk_live_{prefix}.not-the-secret")
    assert [forged.get("/api/v1/auth/me").status_code for _ in range(5)] == [401] * 5
    assert seen == [1] * 5
    monkeypatch.undo()
    # The key's holder still has their 3 a minute, less their own one request.
    statuses = [keyed(raw).get("/api/v1/auth/me").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_a_key_revoked_after_it_was_cached_is_refused_and_its_counts_not_kept(make_user, settings):
    settings.RATE_LIMIT_PER_MINUTE = 3
    user = make_user()
    api_key, raw = issue_api_key(user=user, name="x")
    assert keyed(raw).get("/api/v1/auth/me").status_code == 200
    revoke_api_key(api_key=api_key, context=SYSTEM)  # drops the cached copy
    assert [keyed(raw).get("/api/v1/auth/me").status_code for _ in range(4)] == [401] * 4
    # The refused requests counted against the address, not against the user's windows.
    _, other = issue_api_key(user=user, name="y")
    assert [keyed(other).get("/api/v1/auth/me").status_code for _ in range(3)] == [200, 200, 429]


def test_a_key_cached_without_its_hash_is_counted_apart_once_then_in_one_round_trip(
    make_user, monkeypatch
):
    """A copy cached before hashes were kept beside it (or whose hash expired first)."""
    _, raw = issue_api_key(user=make_user(), name="x")
    client = keyed(raw)
    assert client.get("/api/v1/auth/me")["X-RateLimit-Remaining"] == "99"
    prefix = raw.removeprefix("sk_live_").partition(".")[0]
    cache.delete(services.API_KEY_HASH_KEY.format(prefix))
    assert client.get("/api/v1/auth/me")["X-RateLimit-Remaining"] == "98"

    def second_round_trip(counted):
        raise AssertionError(f"counted again: {counted}")

    monkeypatch.setattr("core.throttling.hit", second_round_trip)
    assert client.get("/api/v1/auth/me")["X-RateLimit-Remaining"] == "97"
