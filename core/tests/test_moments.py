"""Days and moments of filters and queries (core.moments): one reading for every API area."""

from datetime import UTC, date, datetime

import pytest

from core.moments import moment_of, parse_day_or_moment


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-11-30", date(2026, 11, 30)),
        ("2026-11-30T10:00:00Z", datetime(2026, 11, 30, 10, tzinfo=UTC)),
        ("2026-11-30T10:00:00", datetime(2026, 11, 30, 10, tzinfo=UTC)),  # naive is UTC
        ("2026-11-30T23:30:00-02:00", datetime(2026, 12, 1, 1, 30, tzinfo=UTC)),
        # PostgreSQL refuses +17:49; in UTC it never reaches the database with it
        ("2026-11-30T22:19:37+17:49", datetime(2026, 11, 30, 4, 30, 37, tzinfo=UTC)),
        ("2026-11-30T10:00:00 01:00", datetime(2026, 11, 30, 9, tzinfo=UTC)),  # "+" as a space
    ],
)
def test_days_stay_days_and_moments_are_utc(raw, expected):
    value = parse_day_or_moment(raw)
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize(
    "raw",
    ["", "never", "2026-02-30", "2026-11-30T25:00:00Z", "2026-11-30T"],
)
def test_what_names_no_day_or_moment_is_none(raw):
    assert parse_day_or_moment(raw) is None
    assert moment_of(raw) is None


def test_moments_past_the_ends_of_the_calendar_in_utc_are_those_ends():
    assert parse_day_or_moment("9999-12-31T23:59:59-05:00") == datetime.max.replace(tzinfo=UTC)
    assert parse_day_or_moment("0001-01-01T00:00:00+05:00") == datetime.min.replace(tzinfo=UTC)


def test_a_day_as_a_moment_starts_it_or_as_an_end_covers_it_whole():
    assert moment_of("2026-11-30") == datetime(2026, 11, 30, tzinfo=UTC)
    assert moment_of("2026-11-30", end=True) == datetime(
        2026, 11, 30, 23, 59, 59, 999999, tzinfo=UTC
    )
    assert moment_of("9999-12-31", end=True).year == 9999
