"""Usage sync (US-010): fetch only new days from 1NCE, upsert them, keep the rollup current.

A SIM's sync asks 1NCE for the days from its last stored day (re-fetched: it may have been
partial) to today; a SIM with nothing stored asks for ``USAGE_INITIAL_SYNC_DAYS`` (90 by
default, at most what 1NCE keeps), and a SIM whose coverage starts later (the setting was
raised) reaches back that far once. ``UsageCoverage`` records the days asked, which the API
answers as ``coverage`` and zero-fills inside. The fetch
happens before any write, so a failed upstream call changes nothing. The 1NCE client applies
the account's rate limit and retries 429/5xx itself; the fleet run retries what still failed.
"""

import calendar
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

import structlog
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Sum
from django.utils import timezone

from core.locks import HeartbeatLock
from sims.events import record_event
from sims.models import EventType, Sim, SimStatus
from sims.selectors import connected_sims
from sims.services import onence_client_for
from upstream.exceptions import UpstreamError, UpstreamTimeout, UpstreamUnavailable
from upstream.onence.models import DailyUsage
from usage.limits import check_limits
from usage.models import (
    OrganizationDailyUsage,
    SimMonthlyUsage,
    StaleRollupDay,
    UsageCoverage,
    UsageRecord,
)

logger = structlog.get_logger(__name__)

# 1NCE keeps about six months of daily usage; asking for older days only returns nothing.
UPSTREAM_HISTORY_DAYS = 180
# Transient failures are retried within the run; the others (unknown SIM, rejected request)
# would fail the same way again.
TRANSIENT_ERRORS = (UpstreamUnavailable, UpstreamTimeout)
_VALUE_FIELDS = ("data_rx_bytes", "data_tx_bytes", "sms_mo", "sms_mt")
_ROLLUP_LOCK_NAMESPACE = 0x75736167  # "usag": pg_advisory_xact_lock(namespace, organization)


@dataclass(frozen=True)
class SimUsageSync:
    """What one SIM's sync asked for and changed."""

    iccid: str
    fetched_from: date
    fetched_to: date
    added: int
    updated: int
    unchanged: int
    latest_date: date | None
    changed_dates: tuple[date, ...] = ()


@dataclass
class UsageSyncReport:
    """The outcome of a fleet run (``sync_usage``)."""

    sims: int = 0
    synced: int = 0
    failed: int = 0
    records_added: int = 0
    records_updated: int = 0
    retried: int = 0
    deferred: int = 0  # left for the next run: the time budget ran out first
    rollup_days_repaired: int = 0
    duration_seconds: float = 0.0
    skipped: bool = False
    failed_iccids: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "sims": self.sims,
            "synced": self.synced,
            "failed": self.failed,
            "records_added": self.records_added,
            "records_updated": self.records_updated,
            "retried": self.retried,
            "deferred": self.deferred,
            "rollup_days_repaired": self.rollup_days_repaired,
            "duration_seconds": self.duration_seconds,
            "skipped": self.skipped,
            "failed_iccids": self.failed_iccids[:100],
        }


def initial_sync_days() -> int:
    """How far back a SIM's usage is read (``USAGE_INITIAL_SYNC_DAYS``), at most what 1NCE
    keeps."""
    return max(0, min(settings.USAGE_INITIAL_SYNC_DAYS, UPSTREAM_HISTORY_DAYS))


def sync_window(*, sim: Sim, today: date | None = None) -> tuple[date, date]:
    """The days to ask 1NCE for: from the last stored day to today, reaching back to the
    backfill start (``USAGE_INITIAL_SYNC_DAYS`` ago) while the SIM's coverage does not (a new
    SIM, or the setting was raised)."""
    today = today or timezone.now().date()
    backfill_from = today - timedelta(days=initial_sync_days())
    last = (
        UsageRecord.objects.filter(sim=sim).order_by("-date").values_list("date", flat=True).first()
    )
    # The last stored day is fetched again: it may have been synced before it was over.
    start = last if last is not None else backfill_from
    covered_from = UsageCoverage.objects.filter(sim=sim).values_list("first_day", flat=True).first()
    if covered_from is None or covered_from > backfill_from:
        start = min(start, backfill_from)
    start = min(max(start, today - timedelta(days=UPSTREAM_HISTORY_DAYS)), today)
    return start, today


def _extend_coverage(*, sim: Sim, start: date, end: date) -> None:
    """Record that 1NCE was asked for ``start``..``end`` of the SIM (coverage only grows)."""
    coverage, created = UsageCoverage.objects.select_for_update().get_or_create(
        sim=sim,
        defaults={"organization_id": sim.organization_id, "first_day": start, "last_day": end},
    )
    if not created and (start < coverage.first_day or end > coverage.last_day):
        coverage.first_day = min(coverage.first_day, start)
        coverage.last_day = max(coverage.last_day, end)
        coverage.organization_id = sim.organization_id
        coverage.save(update_fields=["first_day", "last_day", "organization"])


def sync_usage_for_sim(*, sim: Sim, client=None, refresh_rollup: bool = True) -> SimUsageSync:
    """Fetch a SIM's new days from 1NCE and upsert them.

    ``client`` defaults to the SIM's organization's 1NCE client. With ``refresh_rollup`` the
    organization's daily rollup is recomputed for the changed days in the same transaction;
    the fleet run passes False and refreshes once per batch. Upstream failures propagate as
    the typed exceptions of ``upstream.exceptions``, with nothing written.
    """
    start, end = sync_window(sim=sim)
    client = client or onence_client_for(organization=sim.organization)
    days = [day for day in client.get_usage(sim.iccid, start=start, end=end) if start <= day.date]
    with transaction.atomic():
        # Taken before writing: a rollup refresh then never runs between our records and our
        # stale-day marks (a refresh of our own takes it exclusively, a batch run shares it).
        _lock_rollup(sim.organization_id, shared=not refresh_rollup)
        added, updated, unchanged, changed = _upsert_days(sim=sim, days=days, start=start)
        if changed:
            StaleRollupDay.objects.bulk_create(
                [StaleRollupDay(organization_id=sim.organization_id, date=d) for d in changed],
                ignore_conflicts=True,
            )
        if refresh_rollup and changed:
            refresh_daily_rollup(organization_id=sim.organization_id, dates=changed)
        refresh_sim_months(sim=sim, dates=changed)
        check_limits(sim=sim, dates=changed)
        _extend_coverage(sim=sim, start=start, end=end)
        Sim.objects.filter(pk=sim.pk).update(usage_synced_at=timezone.now())
    latest = max((day.date for day in days), default=None)
    if latest is None:
        latest = (
            UsageRecord.objects.filter(sim=sim)
            .order_by("-date")
            .values_list("date", flat=True)
            .first()
        )
    return SimUsageSync(
        iccid=sim.iccid,
        fetched_from=start,
        fetched_to=end,
        added=added,
        updated=updated,
        unchanged=unchanged,
        latest_date=latest,
        changed_dates=tuple(sorted(changed)),
    )


def _upsert_days(*, sim: Sim, days: list[DailyUsage], start: date):
    """Write the days that are new or differ from what is stored; returns the counts and the
    changed dates. One read and one bulk upsert, whatever the number of days."""
    stored = {
        row[0]: row[1:]
        for row in UsageRecord.objects.filter(sim=sim, date__gte=start).values_list(
            "date", *_VALUE_FIELDS
        )
    }
    now = timezone.now()
    records, added, updated = [], 0, 0
    for day in days:
        values = (day.data_rx_bytes, day.data_tx_bytes, day.sms_mo, day.sms_mt)
        previous = stored.get(day.date)
        if previous == values:
            continue
        if previous is None:
            added += 1
        else:
            updated += 1
        records.append(
            UsageRecord(
                sim=sim,
                organization_id=sim.organization_id,
                date=day.date,
                synced_at=now,
                **dict(zip(_VALUE_FIELDS, values, strict=True)),
            )
        )
    if records:
        UsageRecord.objects.bulk_create(
            records,
            update_conflicts=True,
            unique_fields=["sim", "date"],
            update_fields=[*_VALUE_FIELDS, "organization", "synced_at"],
        )
    unchanged = len(days) - added - updated
    return added, updated, unchanged, {record.date for record in records}


def refresh_sim_months(*, sim: Sim, dates: Iterable[date]) -> None:
    """Recompute the SIM's ``SimMonthlyUsage`` rows of the months ``dates`` fall in (one read
    of at most a month of its records, one upsert, per month)."""
    for month in sorted({day.replace(day=1) for day in dates}):
        last = month.replace(day=calendar.monthrange(month.year, month.month)[1])
        totals = UsageRecord.objects.filter(sim=sim, date__gte=month, date__lte=last).aggregate(
            data=Sum(F("data_rx_bytes") + F("data_tx_bytes")), sms=Sum(F("sms_mo") + F("sms_mt"))
        )
        SimMonthlyUsage.objects.update_or_create(
            sim=sim,
            month=month,
            defaults={
                "organization_id": sim.organization_id,
                "data_bytes": totals["data"] or 0,
                "sms": totals["sms"] or 0,
            },
        )


def refresh_daily_rollup(*, organization_id: int, dates: Iterable[date]) -> int:
    """Recompute an organization's rollup rows for ``dates`` from its usage records.

    Recomputing (rather than adding deltas) keeps the rollup right whatever happened before.
    On PostgreSQL a transaction-scoped advisory lock per organization orders concurrent
    refreshes, so a refresh that read older totals cannot overwrite a newer one.
    """
    dates = sorted(set(dates))
    if not dates:
        return 0
    with transaction.atomic():
        _lock_rollup(organization_id, shared=False)
        totals = (
            UsageRecord.objects.filter(organization_id=organization_id, date__in=dates)
            .order_by()
            .values("date")
            .annotate(
                rx=Sum("data_rx_bytes"),
                tx=Sum("data_tx_bytes"),
                mo=Sum("sms_mo"),
                mt=Sum("sms_mt"),
                sims=Count("id"),  # one record per SIM and day
            )
        )
        rows = [
            OrganizationDailyUsage(
                organization_id=organization_id,
                date=row["date"],
                data_rx_bytes=row["rx"],
                data_tx_bytes=row["tx"],
                sms_mo=row["mo"],
                sms_mt=row["mt"],
                sim_count=row["sims"],
            )
            for row in totals
        ]
        OrganizationDailyUsage.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["organization", "date"],
            update_fields=[*_VALUE_FIELDS, "sim_count", "updated_at"],
        )
        emptied = set(dates) - {row.date for row in rows}
        if emptied:
            OrganizationDailyUsage.objects.filter(
                organization_id=organization_id, date__in=emptied
            ).delete()
        StaleRollupDay.objects.filter(organization_id=organization_id, date__in=dates).delete()
    return len(rows)


def _lock_rollup(organization_id: int, *, shared: bool) -> None:
    """The organization's rollup lock for this transaction (PostgreSQL; SQLite serialises
    writers anyway): shared by usage writers, exclusive for a refresh, so a refresh sees
    every committed record together with its stale-day marks."""
    if connection.vendor != "postgresql":
        return
    function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(%s, %s)", [_ROLLUP_LOCK_NAMESPACE, organization_id])


def repair_daily_rollups(*, organization=None) -> int:
    """Recompute the rollup days left stale (a sync killed before its rollup refresh);
    returns how many days were recomputed."""
    stale = StaleRollupDay.objects.all()
    if organization is not None:
        stale = stale.filter(organization=organization)
    by_organization: dict[int, set[date]] = defaultdict(set)
    for organization_id, day in stale.values_list("organization_id", "date"):
        by_organization[organization_id].add(day)
    for organization_id, dates in by_organization.items():
        refresh_daily_rollup(organization_id=organization_id, dates=dates)
    if by_organization:
        logger.warning("usage_rollup_repaired", days=sum(len(d) for d in by_organization.values()))
    return sum(len(d) for d in by_organization.values())


def rebuild_daily_rollup(*, organization_id: int) -> int:
    """Recompute every rollup day of an organization (after a bulk load or a repair)."""
    dates = set(
        UsageRecord.objects.filter(organization_id=organization_id)
        .order_by()
        .values_list("date", flat=True)
        .distinct()
    )
    dates |= set(
        OrganizationDailyUsage.objects.filter(organization_id=organization_id).values_list(
            "date", flat=True
        )
    )
    return refresh_daily_rollup(organization_id=organization_id, dates=dates)


def active_sims(*, organization=None, limit: int | None = None):
    """The SIMs a run covers: Enabled SIMs, least recently synced first, at most ``limit``.

    1NCE allows about 10 requests a second and each SIM is one request, so a large fleet
    cannot be read in one hourly run: each run takes the SIMs that waited longest, and the
    fleet is covered over as many runs as it needs.
    """
    sims = connected_sims(Sim.objects.filter(status=SimStatus.ENABLED)).select_related(
        "organization"
    )
    if organization is not None:
        sims = sims.filter(organization=organization)
    sims = sims.only("id", "iccid", "organization").order_by(
        F("usage_synced_at").asc(nulls_first=True), "id"
    )
    return sims[:limit] if limit else sims


def sync_usage(
    *, organization=None, progress: Callable[[int, int], None] | None = None
) -> UsageSyncReport:
    """Sync the usage of every active SIM (of one organization, or all).

    SIMs that fail with a transient upstream error are retried after a growing pause
    (``USAGE_SYNC_RETRIES``, ``USAGE_SYNC_RETRY_DELAY_SECONDS``); a SIM that still fails gets
    a ``usage_sync_failed`` event. ``USAGE_SYNC_ABORT_AFTER`` consecutive transient failures
    mean 1NCE is down: the run stops and re-raises the error (the Celery task retries later)
    rather than writing an event for every SIM. ``progress(done, total)`` is called after each
    SIM of the first pass.

    The run starts no SIM after ``USAGE_SYNC_TIME_BUDGET_SECONDS`` (under the task's soft
    time limit): the SIMs it did not reach are ``deferred`` and, being the least recently
    synced, go first next run. It first recomputes rollup days a killed run left stale.
    Only one run per scope at a time: the lock lives while the run does (a heartbeat renews a
    ``USAGE_SYNC_LOCK_TTL_SECONDS`` expiry) and an overlapping run is skipped.
    """
    report = UsageSyncReport()
    started = time.monotonic()
    scope = organization.slug if organization is not None else "all"
    lock = HeartbeatLock(f"usage-sync:{scope}", ttl=settings.USAGE_SYNC_LOCK_TTL_SECONDS)
    if not lock.acquire():
        logger.info("usage_sync_skipped", scope=scope, reason="another run is in progress")
        report.skipped = True
        return report
    try:
        report.rollup_days_repaired = repair_daily_rollups(organization=organization)
        _SyncRun(
            report,
            organization=organization,
            progress=progress,
            deadline=started + settings.USAGE_SYNC_TIME_BUDGET_SECONDS,
            lock=lock,
        ).run()
    finally:
        lock.release()
        report.duration_seconds = round(time.monotonic() - started, 3)
        log = logger.warning if report.failed else logger.info
        log("usage_sync_finished", scope=scope, **report.as_dict())
    return report


class _OutOfTime(Exception):
    """The run's time budget is spent (or its lock was lost): stop between SIMs."""


class _SyncRun:
    """One fleet run: passes over the pending SIMs until none is left to retry."""

    def __init__(self, report: UsageSyncReport, *, organization, progress, deadline, lock):
        self.report, self.organization, self.progress = report, organization, progress
        self.deadline, self.lock = deadline, lock
        self.done: set[int] = set()  # SIMs attempted in the first pass
        self.clients: dict[int, object] = {}  # one 1NCE client per organization
        # Every SIM whose last attempt failed; a later success removes it.
        self.failures: dict[int, tuple[Sim, UpstreamError]] = {}
        self.consecutive = 0  # transient failures in a row

    def run(self) -> None:
        pending = list(
            active_sims(organization=self.organization, limit=settings.USAGE_SYNC_MAX_SIMS)
        )
        self.report.sims = len(pending)
        try:
            for attempt in range(settings.USAGE_SYNC_RETRIES + 1):
                if attempt:
                    delay = settings.USAGE_SYNC_RETRY_DELAY_SECONDS * 2 ** (attempt - 1)
                    if time.monotonic() + delay >= self.deadline:
                        break
                    _pause(delay)
                    self.report.retried += len(pending)
                    logger.info("usage_sync_retrying", attempt=attempt, sims=len(pending))
                self.consecutive = 0
                size = settings.USAGE_SYNC_BATCH_SIZE
                for offset in range(0, len(pending), size):
                    self._batch(pending[offset : offset + size], offset, first_pass=attempt == 0)
                pending = [
                    s for s, exc in self.failures.values() if isinstance(exc, TRANSIENT_ERRORS)
                ]
                if not pending:
                    break
        except _OutOfTime:
            self.report.deferred = self.report.sims - len(self.done)
            logger.warning(
                "usage_sync_out_of_time",
                deferred=self.report.deferred,
                budget_seconds=settings.USAGE_SYNC_TIME_BUDGET_SECONDS,
                lock_lost=self.lock.lost,
            )
        self._finish()

    def _batch(self, batch: list[Sim], offset: int, *, first_pass: bool) -> None:
        touched: dict[int, set[date]] = defaultdict(set)
        try:
            for position, sim in enumerate(batch, start=offset + 1):
                if time.monotonic() >= self.deadline or self.lock.lost:
                    raise _OutOfTime
                if first_pass:
                    self.done.add(sim.pk)
                touched[sim.organization_id].update(self._sync_one(sim))
                if first_pass and self.progress is not None:
                    self.progress(position, self.report.sims)
        finally:
            # What was written before a failure still gets its rollup.
            for organization_id, dates in touched.items():
                refresh_daily_rollup(organization_id=organization_id, dates=dates)

    def _sync_one(self, sim: Sim) -> tuple[date, ...]:
        if sim.organization_id not in self.clients:
            self.clients[sim.organization_id] = onence_client_for(organization=sim.organization)
        try:
            result = sync_usage_for_sim(
                sim=sim, client=self.clients[sim.organization_id], refresh_rollup=False
            )
        except UpstreamError as exc:
            self.failures[sim.pk] = (sim, exc)
            self.consecutive = self.consecutive + 1 if isinstance(exc, TRANSIENT_ERRORS) else 0
            logger.info("usage_sync_sim_failed", iccid=sim.iccid, error=str(exc))
            if self.consecutive >= settings.USAGE_SYNC_ABORT_AFTER:
                logger.error("usage_sync_aborted", error=str(exc), consecutive=self.consecutive)
                raise
            return ()
        self.consecutive = 0
        self.failures.pop(sim.pk, None)
        self.report.records_added += result.added
        self.report.records_updated += result.updated
        return result.changed_dates

    def _finish(self) -> None:
        report = self.report
        report.failed = len(self.failures)
        report.synced = report.sims - report.failed - report.deferred
        report.failed_iccids = [sim.iccid for sim, _ in self.failures.values()]
        for sim, exc in self.failures.values():
            record_event(
                sim=sim,
                event_type=EventType.USAGE_SYNC_FAILED,
                description=f"Usage sync failed: {exc.public_message}",
                details={"error": type(exc).__name__, **exc.public_details},
            )


def _pause(seconds: float) -> None:
    """The backoff between passes (a seam for tests that let 1NCE recover meanwhile)."""
    if seconds > 0:
        time.sleep(seconds)
