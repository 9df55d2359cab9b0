"""Redis unreachable: reads keep working from PostgreSQL, writes that need Redis answer 503.

The cache is pointed at a closed port for the test (the shared Redis stays up for everyone).
"""

import pytest
from django.core.cache import caches
from rest_framework.test import APIClient

from accounts.models import APIKey, RefreshToken, Role
from accounts.services import issue_api_key, login
from core.context import SYSTEM
from core.tests.test_health import REDIS_DOWN
from core.throttling import local_windows
from sims.tests.factories import SimFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


@pytest.fixture
def user(make_user):
    user = make_user(Role.OPERATOR)
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def sim(organization):
    return SimFactory(organization=organization)


@pytest.fixture
def raw_key(user):
    _, raw = issue_api_key(user=user, name="ci")
    return raw


@pytest.fixture
def redis_down(settings):
    """``redis_down()``: what was done so far had Redis; from here on it is unreachable."""
    local_windows.clear()

    def down():
        settings.CACHES = REDIS_DOWN

    yield down
    caches["default"].close()
    local_windows.clear()


def keyed(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=raw)
    return client


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def assert_503(response):
    assert response.status_code == 503, response.content
    body = response.json()
    assert body["success"] is False
    assert body["error"]["code"] == "SERVICE_UNAVAILABLE"


def test_api_key_reads_work_from_the_database(raw_key, sim, redis_down):
    redis_down()
    client = keyed(raw_key)
    listing = client.get("/api/v1/sims")
    assert listing.status_code == 200, listing.content
    assert [s["iccid"] for s in listing.json()["data"]] == [sim.iccid]
    detail = client.get(f"/api/v1/sims/{sim.iccid}")
    assert detail.status_code == 200, detail.content
    # Uses are counted straight into the database while the cache cannot count them.
    assert APIKey.objects.get(prefix=raw_key[8:16]).usage_count == 2


def test_a_wrong_api_key_is_still_refused(raw_key, redis_down):
    redis_down()
    response = keyed(raw_key[:-4] + "xxxx").get("/api/v1/sims")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "INVALID_API_KEY"


def test_jwt_sessions_are_checked_in_the_database(user, redis_down):
    ended = login(identifier=user.username, password=PASSWORD, context=SYSTEM)
    live = login(identifier=user.username, password=PASSWORD, context=SYSTEM)
    bearer(ended.access_token).post(
        "/api/v1/auth/logout", {"refresh_token": ended.refresh_token}, format="json"
    )
    redis_down()  # the session was ended with Redis up; now only the database knows

    assert bearer(live.access_token).get("/api/v1/auth/me").status_code == 200
    refused = bearer(ended.access_token).get("/api/v1/auth/me")
    assert refused.status_code == 401


def test_rate_limit_holds_per_process(raw_key, redis_down, settings):
    settings.RATE_LIMIT_PER_MINUTE = 3
    redis_down()
    client = keyed(raw_key)
    statuses = [client.get("/api/v1/sims").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_logout_needs_redis_and_answers_503_changing_nothing(user, redis_down):
    pair = login(identifier=user.username, password=PASSWORD, context=SYSTEM)
    redis_down()
    response = bearer(pair.access_token).post(
        "/api/v1/auth/logout", {"refresh_token": pair.refresh_token}, format="json"
    )
    assert_503(response)
    # Rolled back: a revocation Redis never heard of would let the access token back in later.
    assert RefreshToken.objects.filter(user=user, revoked_at__isnull=True).exists()


def test_revoking_an_api_key_needs_redis_and_answers_503(user, raw_key, redis_down):
    """Revoked in the database only, the key would be accepted again from its cached copy
    once Redis is back; so the revocation waits for Redis."""
    prefix = raw_key[8:16]
    redis_down()
    client = APIClient()
    client.force_authenticate(user)  # a session login: its authentication needs no Redis
    response = client.delete(f"/api/v1/auth/api-keys/{prefix}")
    assert_503(response)
    assert APIKey.objects.get(prefix=prefix).revoked is False
