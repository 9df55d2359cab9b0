import pytest
from django.core.cache import caches


@pytest.mark.django_db
def test_health_is_cheap_and_healthy(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/health")
    assert response.status_code == 200
    assert response.json()["status"] == "healthy"


def test_liveness(client):
    response = client.get("/health/live")
    assert response.json()["status"] == "alive"


@pytest.mark.django_db(transaction=True)
def test_ready_checks_every_dependency(client):
    response = client.get("/health/ready")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "ready"
    assert body["checks"] == {"database": "healthy", "redis": "healthy", "broker": "healthy"}


@pytest.mark.django_db(transaction=True)
def test_ready_is_503_naming_redis_when_redis_is_unreachable(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
        }
    }
    try:
        response = client.get("/health/ready")
    finally:
        caches["default"].close()
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not_ready"
    assert body["checks"]["redis"] == "unhealthy"
    assert body["checks"]["database"] == "healthy"
    assert body["failing"] == ["redis"]
