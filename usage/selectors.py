"""Usage reads: one SIM's usage and the fleet's, per day, ISO week or calendar month.

Buckets are computed in Python from daily rows (at most two years of them), so week and month
edges are the same on PostgreSQL and SQLite and byte totals stay exact integers.

Every answer states its ``coverage``: the days whose usage was read from 1NCE. Inside it a day
without a record had no usage and is answered as a zero row (a 30-day daily query answers 30
rows, charts stay continuous); outside it nothing is known and no row is made up.
"""

import calendar
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import models
from django.db.models import Count, Max, Sum

from sims.models import Sim
from usage.models import OrganizationDailyUsage, SimMonthlyUsage, UsageCoverage, UsageRecord


class Granularity(models.TextChoices):
    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly (ISO weeks, Monday to Sunday)"
    MONTHLY = "monthly", "Monthly (calendar months)"


class GroupBy(models.TextChoices):
    TAG = "tag", "Tag"
    STATUS = "status", "Status"


@dataclass(frozen=True)
class Day:
    """One day's totals (a SIM's, a group's or the fleet's)."""

    date: date
    rx: int
    tx: int
    mo: int
    mt: int
    sessions: int | None = None
    sims: int | None = None

    @property
    def volume(self) -> int:
        return self.rx + self.tx


def sim_usage(*, sim: Sim, start_date: date, end_date: date, granularity: str) -> dict:
    """Seed 001's usage answer for one SIM: buckets in the period, the summary, and the
    coverage. Two queries."""
    rows = (
        UsageRecord.objects.filter(sim=sim, date__gte=start_date, date__lte=end_date)
        .order_by("date")
        .values_list("date", "data_rx_bytes", "data_tx_bytes", "sms_mo", "sms_mt", "session_count")
    )
    days = [Day(*row) for row in rows]
    coverage = UsageCoverage.objects.filter(sim=sim).values_list("first_day", "last_day").first()
    return {
        "iccid": sim.iccid,
        "period": {"start": start_date, "end": end_date},
        "granularity": granularity,
        "coverage": coverage_answer(coverage),
        "usage": buckets(days, granularity, start_date, end_date, covered=coverage),
        "summary": summarize(days, start_date, end_date),
    }


def fleet_coverage(organization_id: int) -> tuple[date, date] | None:
    """The days read for every mirrored SIM of the organization: from the latest first day
    (a SIM added later was read back as far when it came) to the last day read of any."""
    span = UsageCoverage.objects.filter(organization_id=organization_id).aggregate(
        first=Max("first_day"), last=Max("last_day")
    )
    return (span["first"], span["last"]) if span["first"] else None


def coverage_answer(coverage: tuple[date, date] | None) -> dict:
    first, last = coverage or (None, None)
    return {"from": first, "to": last}


def fleet_usage(
    *,
    organization_id: int,
    start_date: date,
    end_date: date,
    granularity: str,
    group_by: str | None = None,
) -> dict:
    """An organization's usage from the daily rollup (one query), and with ``group_by`` the
    same per SIM status or per tag from the per-SIM records (one more query).

    A SIM with several tags counts in each of its tags' groups; SIMs without tags form the
    group whose ``key`` is null.
    """
    rollup = (
        OrganizationDailyUsage.objects.filter(
            organization_id=organization_id, date__gte=start_date, date__lte=end_date
        )
        .order_by("date")
        .values_list("date", "data_rx_bytes", "data_tx_bytes", "sms_mo", "sms_mt", "sim_count")
    )
    days = [Day(d, rx, tx, mo, mt, None, sims) for d, rx, tx, mo, mt, sims in rollup]
    coverage = fleet_coverage(organization_id)
    answer = {
        "period": {"start": start_date, "end": end_date},
        "granularity": granularity,
        "group_by": group_by,
        "coverage": coverage_answer(coverage),
        "usage": buckets(days, granularity, start_date, end_date, covered=coverage, sims=True),
        "summary": summarize(days, start_date, end_date),
    }
    if group_by:
        groups = _grouped_days(organization_id, start_date, end_date, group_by)
        answer["groups"] = [
            {
                "key": key,
                "usage": buckets(
                    group_days, granularity, start_date, end_date, covered=coverage, sims=True
                ),
                "summary": summarize(group_days, start_date, end_date),
            }
            for key, group_days in sorted(groups.items(), key=lambda kv: (kv[0] is None, kv[0]))
        ]
    return answer


def _grouped_days(organization_id, start_date, end_date, group_by) -> dict:
    # Grouping by the tag list itself keeps this one portable query: an organization has few
    # distinct tag lists; each list's totals are then credited to each of its tags.
    column = "sim__status" if group_by == GroupBy.STATUS else "sim__tags"
    rows = (
        UsageRecord.objects.filter(
            organization_id=organization_id, date__gte=start_date, date__lte=end_date
        )
        .values(column, "date")
        .annotate(
            rx=Sum("data_rx_bytes"),
            tx=Sum("data_tx_bytes"),
            mo=Sum("sms_mo"),
            mt=Sum("sms_mt"),
            sims=Count("id"),
        )
        .order_by()
    )
    totals: dict = defaultdict(lambda: defaultdict(lambda: [0, 0, 0, 0, 0]))
    for row in rows:
        if group_by == GroupBy.STATUS:
            keys = [row[column]]
        else:
            keys = sorted({str(tag) for tag in row[column] or []}) or [None]
        for key in keys:
            day = totals[key][row["date"]]
            for i, name in enumerate(("rx", "tx", "mo", "mt", "sims")):
                day[i] += row[name]
    return {
        key: [Day(d, *values[:4], None, values[4]) for d, values in sorted(by.items())]
        for key, by in totals.items()
    }


def bucket_bounds(day: date, granularity: str) -> tuple[date, date, str]:
    """The first and last day of the bucket holding ``day``, and its label."""
    if granularity == Granularity.WEEKLY:
        monday = day - timedelta(days=day.weekday())
        iso = day.isocalendar()
        return monday, monday + timedelta(days=6), f"{iso.year}-W{iso.week:02d}"
    if granularity == Granularity.MONTHLY:
        last = calendar.monthrange(day.year, day.month)[1]
        return day.replace(day=1), day.replace(day=last), f"{day.year}-{day.month:02d}"
    return day, day, day.isoformat()


def buckets(
    days: list[Day],
    granularity: str,
    start_date: date,
    end_date: date,
    *,
    covered: tuple[date, date] | None = None,
    sims: bool = False,
) -> list[dict]:
    """Daily rows as they are; weekly and monthly ones summed, each bucket clipped to the
    requested period (``start``/``end``) and labelled (``2026-W53``, ``2026-12``). Buckets
    inside the ``covered`` days without a record are zero rows (``days`` 0; ``sim_count`` 0
    with ``sims``), in date order."""
    grouped: dict[tuple, list[Day]] = {}
    if covered is not None:
        day, last_day = max(start_date, covered[0]), min(end_date, covered[1])
        while day <= last_day:
            grouped.setdefault(bucket_bounds(day, granularity), [])
            day += timedelta(days=1)
    for day in days:
        grouped.setdefault(bucket_bounds(day.date, granularity), []).append(day)
    answer = []
    for (first, last, label), members in sorted(grouped.items()):
        row = _totals(members)
        if sims:
            row.setdefault("sim_count", 0)
        if granularity == Granularity.DAILY:
            row = {"date": first, **row}
        else:
            start, end = max(first, start_date), min(last, end_date)
            row = {"date": start, "period": label, "start": start, "end": end, **row}
            row["days"] = len(members)
        answer.append(row)
    return answer


def _totals(days: list[Day]) -> dict:
    rx = sum(day.rx for day in days)
    tx = sum(day.tx for day in days)
    sessions = [day.sessions for day in days if day.sessions is not None]
    row = {
        "volume_rx": rx,
        "volume_tx": tx,
        "total_volume": rx + tx,
        "sms_mo": sum(day.mo for day in days),
        "sms_mt": sum(day.mt for day in days),
        "session_count": sum(sessions) if sessions else None,
    }
    sims = [day.sims for day in days if day.sims is not None]
    if sims:
        row["sim_count"] = max(sims)
    return row


def summarize(days: list[Day], start_date: date, end_date: date) -> dict:
    """Totals, the average per day of the period (rounded half up to a byte) and the peak day
    (the earliest, on a tie)."""
    period_days = (end_date - start_date).days + 1
    total_rx = sum(day.rx for day in days)
    total_tx = sum(day.tx for day in days)
    total = total_rx + total_tx
    peak = max(days, key=lambda day: (day.volume, -day.date.toordinal()), default=None)
    sessions = [day.sessions for day in days if day.sessions is not None]
    return {
        "total_volume": total,
        "total_volume_rx": total_rx,
        "total_volume_tx": total_tx,
        "total_sms_mo": sum(day.mo for day in days),
        "total_sms_mt": sum(day.mt for day in days),
        "total_session_count": sum(sessions) if sessions else None,
        "average_daily_volume": (2 * total + period_days) // (2 * period_days),
        "peak_daily_volume": peak.volume if peak else 0,
        "peak_date": peak.date if peak else None,
        "days": period_days,
        "days_with_data": len(days),
    }


# --- console reads ------------------------------------------------------------------------


def scoped_daily_totals(*, organization_ids: list[int] | None, start: date, end: date) -> list[Day]:
    """Every day from ``start`` to ``end`` (zeros where nothing was used) summed over the
    organizations (all of them for ``None``), from the daily rollup: one query."""
    rollup = OrganizationDailyUsage.objects.filter(date__gte=start, date__lte=end)
    if organization_ids is not None:
        rollup = rollup.filter(organization_id__in=organization_ids)
    rows = (
        rollup.order_by("date")
        .values("date")
        .annotate(
            rx=Sum("data_rx_bytes"),
            tx=Sum("data_tx_bytes"),
            mo=Sum("sms_mo"),
            mt=Sum("sms_mt"),
            sims=Sum("sim_count"),
        )
    )
    found = {
        r["date"]: Day(r["date"], r["rx"], r["tx"], r["mo"], r["mt"], None, r["sims"]) for r in rows
    }
    return [found.get(day) or Day(day, 0, 0, 0, 0, None, 0) for day in _each_day(start, end)]


@dataclass(frozen=True)
class Consumer:
    sim_id: int
    iccid: str
    label: str
    volume: int
    sms: int


def top_consumers(
    *, organization_ids: list[int] | None, month: date, limit: int = 10
) -> list[Consumer]:
    """The SIMs that used the most data in ``month`` (its first day), from the monthly rollup:
    the first rows of one index range, then their SIMs (two queries)."""
    rows = SimMonthlyUsage.objects.filter(month=month, data_bytes__gt=0)
    if organization_ids is not None:
        rows = rows.filter(organization_id__in=organization_ids)
    ranked = list(
        rows.order_by("-data_bytes", "sim_id").values_list("sim_id", "data_bytes", "sms")[:limit]
    )
    sims = Sim.objects.in_bulk([sim_id for sim_id, _, _ in ranked])
    return [
        Consumer(sim_id, sims[sim_id].iccid, sims[sim_id].label, volume, sms)
        for sim_id, volume, sms in ranked
        if sim_id in sims
    ]


def month_usage(sims: list[int], *, month: date) -> dict[int, tuple[int, int]]:
    """``{sim_id: (data bytes, SMS)}`` in ``month`` for a page of SIMs (one query)."""
    rows = SimMonthlyUsage.objects.filter(sim_id__in=sims, month=month).values_list(
        "sim_id", "data_bytes", "sms"
    )
    return {sim_id: (volume, sms) for sim_id, volume, sms in rows}


def sim_days(*, sim: Sim, start: date, end: date) -> list[Day]:
    """One SIM's days from ``start`` to ``end``, zeros where nothing was used: one query."""
    rows = UsageRecord.objects.filter(sim=sim, date__gte=start, date__lte=end).values_list(
        "date", "data_rx_bytes", "data_tx_bytes", "sms_mo", "sms_mt"
    )
    found = {row[0]: Day(*row) for row in rows}
    return [found.get(day) or Day(day, 0, 0, 0, 0) for day in _each_day(start, end)]


def _each_day(start: date, end: date):
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)
