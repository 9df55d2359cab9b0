import socket
import threading
import time

import pytest
from django.core.cache import caches
from django.test import Client

MAX_HEALTH_THREADS = 8  # core.health's shared pool
REDIS_DOWN = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
    }
}


class Blackhole:
    """A TCP server that accepts connections and never answers: a hanging PostgreSQL."""

    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.accepted = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)

    def close(self):
        self.sock.close()
        for conn in self.accepted:
            conn.close()


def health_threads():
    return [t for t in threading.enumerate() if t.name.startswith("health")]


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
def test_ready_checks_every_dependency(client, onence_simulator):
    response = client.get("/health/ready")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "ready"
    assert body["checks"] == {
        "database": "healthy",
        "redis": "healthy",
        "broker": "healthy",
        "onence": "healthy",
    }


@pytest.mark.django_db(transaction=True)
def test_ready_stays_200_and_reports_redis_degraded_when_redis_is_unreachable(client, settings):
    """Reads still work without Redis (core.degraded), so the instance stays in rotation."""
    settings.CACHES = REDIS_DOWN
    try:
        response = client.get("/health/ready")
    finally:
        caches["default"].close()
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["redis"] == "degraded"
    assert body["checks"]["database"] == "healthy"
    assert "redis" in body["degraded"] and "failing" not in body


@pytest.mark.django_db(transaction=True)
def test_1nce_failing_is_degraded_and_the_instance_stays_ready(client, onence_simulator):
    onence_simulator.set_faults(error_rate=1.0, error_status=503)
    response = client.get("/health/ready")
    assert response.status_code == 200
    body = response.json()
    assert body["checks"]["onence"] == "degraded"
    assert body["status"] == "degraded"
    assert body["degraded"] == ["onence"]


@pytest.mark.django_db(transaction=True)
def test_1nce_answering_something_else_is_not_healthy(client, live_server, settings):
    """With the simulators off, an HTTP answer that is not 1NCE's (here: a 404 page) used to
    count as healthy; the check now needs a token and a real answer."""
    settings.SIMULATORS_ENABLED = False
    settings.ONENCE_BASE_URL = f"{live_server.url}/not-1nce"
    body = client.get("/health/ready").json()
    assert body["checks"]["onence"] == "degraded"


@pytest.mark.django_db(transaction=True)
def test_1nce_check_is_cached_so_probes_do_not_hammer_1nce(client, onence_simulator):
    for _ in range(3):
        assert client.get("/health/ready").json()["checks"]["onence"] == "healthy"
    assert len(onence_simulator.requests_received(path_contains="/v1/products")) == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
def test_hanging_database_is_503_within_a_second_and_holds_one_thread(settings):
    hole = Blackhole()
    database = {**settings.DATABASES["default"], "HOST": "127.0.0.1", "PORT": hole.port}
    settings.DATABASES = {**settings.DATABASES, "default": database}
    settings.ONENCE_BASE_URL = ""  # only the database matters here
    # A short deadline, far under the 2 s connect timeout the check gives the driver: an
    # answer well before that came from the deadline, however loaded the machine is.
    settings.HEALTH_CHECK_TIMEOUT = 0.25
    answers = []

    def probe():
        started = time.monotonic()
        response = Client().get("/health/ready")
        answers.append((response.status_code, response.json(), time.monotonic() - started))

    try:
        probes = [threading.Thread(target=probe) for _ in range(6)]
        for thread in probes:
            thread.start()
        for thread in probes:
            thread.join()
        threads_during = len(health_threads())
    finally:
        hole.close()
    assert len(answers) == 6
    for status, body, elapsed in answers:
        assert status == 503
        assert body["status"] == "not_ready"
        assert body["failing"] == ["database"]
        assert elapsed < 1.75, elapsed
    # Six probes, one attempt to reach the database: no thread per probe.
    assert len(hole.accepted) == 1
    assert threads_during <= MAX_HEALTH_THREADS


@pytest.mark.django_db(transaction=True)
@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
def test_refused_database_is_503_not_ready(client, settings):
    database = {**settings.DATABASES["default"], "HOST": "127.0.0.1", "PORT": 1}
    settings.DATABASES = {**settings.DATABASES, "default": database}
    settings.ONENCE_BASE_URL = ""
    started = time.monotonic()
    response = client.get("/health/ready")
    assert time.monotonic() - started < 1.5
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "unhealthy"
