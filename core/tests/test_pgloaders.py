"""Timestamps parsed in C (core.pgloaders) are the datetimes Django's own loader makes."""

import datetime as dt

import pytest
from django.db import DataError, connection
from django.db.backends.postgresql.psycopg_any import register_tzloader

from core import pgloaders
from sims.tests.factories import SimFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql" or pgloaders._psycopg is None,
        reason="psycopg's C module on PostgreSQL only",
    ),
]

LITERALS = [
    "2026-01-02 03:04:05.123456+02",
    "2026-06-30 23:59:59.999999-07:30",
    "2000-02-29 12:00:00+00",
    "1970-01-01 00:00:00.5+05:45",
    "1901-12-13 20:45:52+00",
]
EXTREMES = ["0001-01-01 00:00:00+00", "9999-12-31 23:59:59.999999+00"]


def fetch(sql, *, django_loader: bool):
    with connection.cursor() as cursor:
        if django_loader:
            register_tzloader(connection.timezone, cursor.cursor)
        cursor.execute(sql)
        return cursor.fetchall()


@pytest.mark.parametrize("session_zone", ["UTC", "Europe/Amsterdam", "America/St_Johns"])
def test_the_same_datetimes_as_djangos_loader(session_zone):
    connection.ensure_connection()
    assert connection.connection.adapters.get_loader(1184, 0).__name__ == "CTzLoader"
    with connection.cursor() as cursor:
        cursor.execute(f"SET TIME ZONE '{session_zone}'")
    try:
        literals = LITERALS + (EXTREMES if session_zone == "UTC" else [])
        sql = "SELECT " + ", ".join(f"'{text}'::timestamptz" for text in literals)
        fast, django = fetch(sql, django_loader=False), fetch(sql, django_loader=True)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET TIME ZONE 'UTC'")
    assert fast == django
    for ours, theirs in zip(fast[0], django[0], strict=True):
        assert ours.tzinfo is theirs.tzinfo
        assert ours.isoformat() == theirs.isoformat()
    if session_zone == "UTC":  # Django's session zone: the instant itself
        assert fast[0][0] == dt.datetime(2026, 1, 2, 1, 4, 5, 123456, tzinfo=dt.UTC)


def test_model_rows_read_through_it():
    sim = SimFactory()
    sim.refresh_from_db()
    assert sim.created_at.tzinfo is connection.timezone
    assert sim.created_at == type(sim).objects.values_list("created_at", flat=True).get(pk=sim.pk)


@pytest.mark.parametrize("literal", ["infinity", "-infinity", "0001-01-01 00:00:00+01"])
def test_a_value_out_of_pythons_range_is_refused_alike(literal):
    sql = f"SELECT '{literal}'::timestamptz"
    with pytest.raises(DataError) as fast:
        fetch(sql, django_loader=False)
    with pytest.raises(DataError) as django:
        fetch(sql, django_loader=True)
    assert type(fast.value) is type(django.value)
