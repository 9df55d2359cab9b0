"""core.postgresql: Django's connection health check, spaced out by HEALTH_CHECK_DELAY.

Each test drives a connection of its own (a wrapper over the test database's settings) through
requests as Django's request signals do: ``close_if_unusable_or_obsolete`` when one starts and
ends, a query in between.
"""

import copy

import pytest
from django.db import DEFAULT_DB_ALIAS, OperationalError, connection, connections
from django.db.utils import load_backend

pytestmark = pytest.mark.django_db


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr("core.postgresql.base.time.monotonic", clock)
    return clock


@pytest.fixture
def own_connection():
    """``own_connection(delay)``: a connection of its own to the test database, checked as the
    settings ask, its checks (``SELECT 1``) counted in ``.checks``; closed after the test."""
    opened = []

    def make(delay: float):
        settings = copy.deepcopy(connection.settings_dict)
        settings.update(CONN_MAX_AGE=None, CONN_HEALTH_CHECKS=True, HEALTH_CHECK_DELAY=delay)
        db = load_backend(settings["ENGINE"]).DatabaseWrapper(settings, "backend-test")
        db.checks = 0
        is_usable = db.is_usable

        def counted():
            db.checks += 1
            return is_usable()

        db.is_usable = counted
        opened.append(db)
        return db

    yield make
    for db in opened:
        db.close()


def request(db) -> int:
    """One request's worth of use: its backend's pid."""
    db.close_if_unusable_or_obsolete()
    try:
        with db.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            return cursor.fetchone()[0]
    finally:
        db.close_if_unusable_or_obsolete()


def terminate(pid: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])


def test_the_settings_use_this_backend_with_a_delay():
    settings = connections[DEFAULT_DB_ALIAS].settings_dict
    assert settings["ENGINE"] == "core.postgresql"
    assert settings["CONN_HEALTH_CHECKS"] is True
    assert settings["HEALTH_CHECK_DELAY"] == 5.0
    assert type(connections[DEFAULT_DB_ALIAS]).__module__ == "core.postgresql.base"


def test_a_connection_checked_within_the_delay_is_reused_without_a_check(clock, own_connection):
    db = own_connection(delay=5)
    first = request(db)  # a new connection: healthy, no check
    clock.now += 4.9
    assert [request(db) for _ in range(3)] == [first] * 3
    assert db.checks == 0
    clock.now += 0.2  # 5.1 s after it was opened: checked once, then trusted again
    assert request(db) == first
    assert request(db) == first
    assert db.checks == 1


def test_without_a_delay_every_request_is_checked_as_in_django(clock, own_connection):
    db = own_connection(delay=0)
    pids = {request(db) for _ in range(3)}
    assert len(pids) == 1
    assert db.checks == 2  # every request but the one that opened it


def test_a_connection_found_dead_by_the_check_is_replaced_before_the_query(clock, own_connection):
    db = own_connection(delay=5)
    first = request(db)
    terminate(first)
    clock.now += 6
    second = request(db)  # the check fails: a new connection answers, no error
    assert second != first
    assert db.checks == 1


def test_a_connection_that_dies_within_the_delay_fails_one_request_then_is_replaced(
    clock, own_connection
):
    db = own_connection(delay=5)
    first = request(db)
    terminate(first)
    clock.now += 1
    with pytest.raises(OperationalError):  # the API answers it 503 (core.exceptions)
        request(db)
    assert db.connection is None  # closed as that request ended: it had an error
    second = request(db)
    assert second != first
