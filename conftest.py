"""Fixtures shared by every app's tests."""

import os
import re
from urllib.parse import urlsplit, urlunsplit

import pytest
from celery.result import _set_task_join_will_block
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.signals import setting_changed
from rest_framework.test import APIClient

from accounts.models import Role
from accounts.tests.factories import OrganizationFactory, UserFactory

# The browser machinery (``browser`` fixture, screenshot summary) for every app's browser tests.
pytest_plugins = ["core.tests.browser"]

REDIS_DATABASES = 16  # redis-server's default ``databases``


def redis_url_for_worker(url: str, index: int) -> str:
    """``url`` moved to the database ``index`` places along: pytest-xdist worker ``gw<index>``
    gets databases of its own (two per worker: cache and broker stay apart)."""
    parts = urlsplit(url)
    database = int(parts.path.strip("/") or 0)
    moved = (database + 2 * index) % REDIS_DATABASES
    return urlunsplit(parts._replace(path=f"/{moved}"))


def _isolate_xdist_worker() -> None:
    """Under pytest-xdist every worker has its own PostgreSQL test database (pytest-django
    suffixes it with the worker id) and here its own Redis databases: cache, rate-limit
    counters, locks and broker queues of ``gw0`` and ``gw1`` never meet. Settings are loaded
    before this conftest, so both the settings and the environment (read by Celery, and
    inherited by the workers and commands tests start as subprocesses) are moved."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        return
    index, count = int(worker[2:]), int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    cache_url = os.environ["REDIS_URL"]
    broker_url = os.environ["CELERY_BROKER_URL"]
    taken = [
        url
        for i in range(count)
        for url in (redis_url_for_worker(u, i) for u in (cache_url, broker_url))
    ]
    if cache_url != broker_url and len(set(taken)) != len(taken):
        pytest.exit(
            f"{count} xdist workers need {2 * count} Redis databases apart from each other; "
            "give REDIS_URL and CELERY_BROKER_URL neighbouring databases (e.g. /1 and /2).",
            returncode=4,
        )
    cache_url = redis_url_for_worker(cache_url, index)
    broker_url = redis_url_for_worker(broker_url, index)
    os.environ["REDIS_URL"] = django_settings.REDIS_URL = cache_url
    os.environ["CELERY_BROKER_URL"] = django_settings.CELERY_BROKER_URL = broker_url
    django_settings.CACHES["default"]["LOCATION"] = cache_url


_isolate_xdist_worker()


def _routes_follow_the_simulators_setting(*, setting, **kwargs):
    """``config.urls`` adds the simulators' routes when ``SIMULATORS_ENABLED`` is on at import.
    A test that turns it off (or on) gets routes to match, and the next test the routes of the
    restored setting: otherwise whichever test first resolved a URL decided for the whole
    process (the Horizon simulator answering 404 after a test without simulators)."""
    if setting != "SIMULATORS_ENABLED":
        return
    import importlib
    import sys

    from django.urls import clear_url_caches

    if "config.urls" in sys.modules:
        importlib.reload(sys.modules["config.urls"])
    clear_url_caches()


setting_changed.connect(_routes_follow_the_simulators_setting)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's test database, dropped cleanly at the end: connections other threads
    still hold (a live-server request thread parked in a simulated hang, a worker subprocess
    killed mid-call) are ended first, or PostgreSQL refuses the drop ("being accessed by other
    users") and the database is left behind."""
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    connection.close()
    # DATABASE_STATEMENT_TIMEOUT guards requests, not the DROP DATABASE of a loaded machine.
    options = connection.settings_dict.get("OPTIONS", {})
    if "statement_timeout" in options.get("options", ""):
        options["options"] = re.sub(
            r"statement_timeout=\d+", "statement_timeout=0", options["options"]
        )


@pytest.fixture(autouse=True)
def _clean_cache():
    """Each test starts with an empty cache (rate-limit counters, tokens, pages)."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _joinable_eager_results():
    """``.delay().get()`` works in every test. Celery's eager ``apply_async`` marks results as
    "would block" in a process-wide flag and restores the value it saw on the way out, so
    threads publishing at once (the concurrency tests) can leave the flag set for the tests
    after them, which then fail with "Never call result.get() within a task"."""
    yield
    _set_task_join_will_block(False)


@pytest.fixture
def clock():
    """Our clients' wall clock (``upstream.clock``): ``clock.advance(seconds)`` instead of
    sleeping; back to real time after the test."""
    from upstream import clock

    clock.reset()
    yield clock
    clock.reset()


@pytest.fixture
def organization(db):
    return OrganizationFactory()


@pytest.fixture
def other_organization(db):
    return OrganizationFactory()


@pytest.fixture
def make_user(db, organization):
    def make(role=Role.OPERATOR, **kwargs):
        kwargs.setdefault("organization", organization)
        return UserFactory(role=role, **kwargs)

    return make


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def client_for(make_user):
    """``client_for(role)`` gives an API client authenticated as a new user of that role."""

    def make(role=Role.OPERATOR, **kwargs):
        client = APIClient()
        client.force_authenticate(make_user(role=role, **kwargs))
        return client

    return make


@pytest.fixture
def operator_client(client_for):
    return client_for(Role.OPERATOR)


@pytest.fixture
def viewer_client(client_for):
    return client_for(Role.VIEWER)


def answer_without_nagle(live_server) -> None:
    """wsgiref writes headers and body in separate packets: with Nagle's algorithm on, a
    keep-alive client (our 1NCE client, Schemathesis) waits ~40 ms for a delayed ACK on every
    request to the live server. Its connections answer without that delay (once per session)."""
    import socket

    httpd = live_server.thread.httpd
    if getattr(httpd, "nodelay", False):
        return
    accept = httpd.get_request

    def get_request():
        connection, address = accept()
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection, address

    httpd.get_request, httpd.nodelay = get_request, True


@pytest.fixture
def onence_simulator(live_server, settings, organization):
    """The 1NCE simulator over loopback HTTP as the default account, owned by ``organization``:
    no faults, no rate limit, one quick retry. Domain tests reach it through our real client
    (``sims.services.onence_client_for``); ``simulators.onence.testing`` (returned) seeds it
    and injects faults."""
    from simulators.onence import testing

    answer_without_nagle(live_server)
    settings.ONENCE_BASE_URL = f"{live_server.url}/sim/1nce/management-api"
    settings.ONENCE_DEFAULT_ORGANIZATION = organization.slug
    settings.UPSTREAM_READ_TIMEOUT = 3.0
    settings.UPSTREAM_MAX_RETRIES = 1
    testing.register_account(
        client_id=settings.ONENCE_CLIENT_ID, client_secret=settings.ONENCE_CLIENT_SECRET
    )
    testing.clear_faults()
    testing.set_faults(enforce_rate_limit=False)
    yield testing
    testing.clear_faults()


@pytest.fixture
def onence_fleet(onence_simulator, organization):
    """Three simulator SIMs with ten days of usage, mirrored into ``organization``."""
    from sims.tests.factories import SimFactory

    iccids = onence_simulator.seed_fleet(sims=3, days=10)
    return [SimFactory(organization=organization, iccid=iccid) for iccid in iccids]


@pytest.fixture
def celery_broker(settings):
    """Tasks are published to the real Redis broker (``CELERY_BROKER_URL``) instead of running
    eagerly, and stay there (no worker consumes this test's queue). Returns a helper whose
    ``queued()`` lists the ``(task name, args)`` of the messages waiting."""
    import base64
    import json

    import redis

    from config.celery import app

    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)

    class Broker:
        client = broker

        def queued(self) -> list[tuple[str, list]]:
            messages = []
            for raw in broker.lrange("celery", 0, -1):
                message = json.loads(raw)
                body = json.loads(base64.b64decode(message["body"]))
                messages.append((message["headers"]["task"], body[0]))
            return messages

        def purge(self) -> None:
            broker.delete("celery")

    # Celery reads the Django setting itself (its namespaced key wins over app.conf).
    settings.CELERY_TASK_ALWAYS_EAGER = False
    assert not app.conf.task_always_eager
    helper = Broker()
    helper.purge()
    yield helper
    helper.purge()


@pytest.fixture
def worker_process(celery_broker):
    """Start real Celery workers on this test's database and broker (``start(pool, **env)``,
    env overriding settings by name); each is killed (its whole process group) at the end."""
    import signal
    import subprocess
    import sys
    from pathlib import Path

    database = django_settings.DATABASES["default"]
    base = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/"
            f"{database['NAME']}"
        ),
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    workers = []

    def start(pool: str = "solo", **env):
        worker = subprocess.Popen(  # noqa: S603 (our own worker, fixed arguments)
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                f"--pool={pool}",
                "--concurrency=1",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-l",
                "ERROR",
            ],
            cwd=Path(__file__).resolve().parent,
            env={**base, **{name: str(value) for name, value in env.items()}},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)


@pytest.fixture
def horizon_simulator(live_server, settings, organization):
    """The Horizon simulator over loopback HTTP as the network, with the demo pool and operator
    accounts funded (the default Stellar account, owned by ``organization``); no faults, one
    quick retry. Tests reach it through our real client (stellar-sdk on ``upstream.stellar``);
    ``simulators.horizon.testing`` (returned) seeds accounts and injects faults."""
    from simulators.horizon import testing

    answer_without_nagle(live_server)
    settings.HORIZON_URL = f"{live_server.url}/sim/horizon"
    settings.STELLAR_FRIENDBOT_URL = f"{live_server.url}/sim/horizon/friendbot"
    settings.STELLAR_DEFAULT_ORGANIZATION = organization.slug
    settings.UPSTREAM_READ_TIMEOUT = 3.0
    settings.STELLAR_SUBMIT_TIMEOUT = 3.0
    settings.UPSTREAM_MAX_RETRIES = 1
    from payments.services.accounts import close_clients

    close_clients()  # none made before this test (other settings, another server) is reused
    testing.reset()
    testing.seed_demo()
    yield testing
    testing.clear_faults()
    close_clients()  # no keep-alive connection (and its server thread) outlives the test


@pytest.fixture
def broker_down(settings, celery_broker, monkeypatch):
    """The broker refuses connections (nothing listens on its port)."""
    from config.celery import app

    def reset_broker_connections():
        app._pool = None
        app.amqp._producer_pool = None

    # Celery reads the broker URL from the environment before its settings.
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:1/0")
    settings.CELERY_BROKER_CONNECTION_TIMEOUT = 0.5
    reset_broker_connections()
    yield
    reset_broker_connections()  # rebuilt from the restored environment at next use
