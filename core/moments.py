"""Days and moments as the API takes them in filters and query parameters, read in one place.

A value is a day (``2026-11-30``) or an ISO 8601 date-time; a naive date-time is UTC. Every
date-time leaves here in UTC: PostgreSQL refuses offsets Python accepts (``+17:49``), which
would otherwise reach the database and fail there. Callers word their own errors (each API
area has its contract's message); here an unreadable value is None.
"""

from datetime import UTC, date, datetime, timedelta

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

LAST_MICROSECOND = timedelta(days=1) - timedelta(microseconds=1)


def parse_day_or_moment(raw: str) -> date | datetime | None:
    """A day as a ``date``, a date-time as an aware ``datetime`` in UTC, None when ``raw`` is
    neither (or names no such day or time)."""
    # A "+" left unencoded in a query string arrives as a space.
    raw = (raw or "").strip().replace(" ", "+")
    try:
        if len(raw) == 10:
            return parse_date(raw)
        moment = parse_datetime(raw)
    except ValueError:  # well formed, but no such day or time
        return None
    if moment is None:
        return None
    if timezone.is_naive(moment):
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # past either end of the calendar in UTC: that end, before all data
        return (datetime.max if moment.year == datetime.max.year else datetime.min).replace(
            tzinfo=UTC
        )


def moment_of(raw: str, *, end: bool = False) -> datetime | None:
    """``raw`` as a moment in UTC: a day is its first microsecond, or its last with ``end``
    (an inclusive end names the whole day)."""
    value = parse_day_or_moment(raw)
    if value is None or isinstance(value, datetime):
        return value
    start = datetime(value.year, value.month, value.day, tzinfo=UTC)
    return start + LAST_MICROSECOND if end else start
