"""The usage sync under crashes and time limits: a killed run's lock and rollup, the budget."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db.models import Count, Sum

from core.models import TaskRun, TaskRunOutcome
from core.tests.waiting import wait_for
from sims.tests.factories import SimFactory
from simulators.onence import testing
from usage.models import OrganizationDailyUsage, UsageRecord
from usage.services import sync_usage
from usage.tasks import sync_usage as sync_usage_task

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]


def rollup_matches_records(organization) -> bool:
    records = {
        row["date"]: (row["rx"], row["sims"])
        for row in UsageRecord.objects.filter(organization=organization)
        .values("date")
        .annotate(rx=Sum("data_rx_bytes"), sims=Count("id"))
    }
    rollup = {
        row.date: (row.data_rx_bytes, row.sim_count)
        for row in OrganizationDailyUsage.objects.filter(organization=organization)
    }
    return records == rollup


@pytest.fixture
def fleet(onence_sim, organization):
    iccids = testing.seed_fleet(sims=16, days=10)
    return [SimFactory(organization=organization, iccid=iccid) for iccid in iccids]


def test_a_run_killed_mid_batch_frees_its_lock_soon_and_the_next_run_repairs_the_rollup(
    fleet, organization, settings
):
    """``manage.py sync_usage`` in its own process, killed with SIGKILL mid-batch: its
    SIMs' records are committed, the batch's rollup refresh never ran."""
    settings.USAGE_SYNC_LOCK_TTL_SECONDS = 2
    # 16 SIMs at 0.5 s each: the run is still going when it is killed.
    testing.set_faults(latency_ms=500, paths="/usage", enforce_rate_limit=False)
    database = django_settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/"
            f"{database['NAME']}"
        ),
        "ONENCE_BASE_URL": settings.ONENCE_BASE_URL,
        "ONENCE_DEFAULT_ORGANIZATION": organization.slug,
        "UPSTREAM_MAX_RETRIES": "0",
        "USAGE_SYNC_LOCK_TTL_SECONDS": "2",
        "USAGE_SYNC_BATCH_SIZE": "100",  # one batch: its rollup refresh comes at the end
    }
    run = subprocess.Popen(  # noqa: S603 (our own command, fixed arguments)
        [sys.executable, "manage.py", "sync_usage", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(
            lambda: UsageRecord.objects.order_by().values("sim").distinct().count() >= 2,
            timeout=20,
            what="the run to store two SIMs",
        )
        # Alive and past its TTL: the heartbeat keeps the lock, an overlapping run skips.
        time.sleep(settings.USAGE_SYNC_LOCK_TTL_SECONDS + 0.5)
        assert run.poll() is None
        assert sync_usage_task.delay().get()["skipped"] is True
    finally:
        run.send_signal(signal.SIGKILL)
        run.wait(timeout=10)
    assert not rollup_matches_records(organization)  # what the kill left behind
    skipped = TaskRun.objects.get(task="usage.tasks.sync_usage")
    assert skipped.outcome == TaskRunOutcome.SKIPPED

    time.sleep(settings.USAGE_SYNC_LOCK_TTL_SECONDS + 0.5)  # the lock dies with its holder
    testing.clear_faults()
    testing.set_faults(enforce_rate_limit=False)
    result = sync_usage_task.delay().get()

    assert result["skipped"] is False and result["synced"] == len(fleet)
    assert result["rollup_days_repaired"] > 0
    assert rollup_matches_records(organization)
    latest = TaskRun.objects.filter(task="usage.tasks.sync_usage").order_by("-id").first()
    assert latest.outcome == TaskRunOutcome.SUCCESS


def test_a_run_stops_within_its_time_budget_and_the_next_continues(fleet, settings):
    settings.USAGE_SYNC_TIME_BUDGET_SECONDS = 1
    testing.set_faults(latency_ms=400, paths="/usage", enforce_rate_limit=False)

    first = sync_usage()

    assert 0 < first.deferred < len(fleet)
    assert first.synced + first.deferred == len(fleet)
    reached = set(UsageRecord.objects.values_list("sim_id", flat=True))

    testing.set_faults(enforce_rate_limit=False)
    settings.USAGE_SYNC_TIME_BUDGET_SECONDS = 60
    settings.USAGE_SYNC_MAX_SIMS = first.deferred  # room for the deferred ones only
    second = sync_usage()

    assert (second.synced, second.deferred) == (first.deferred, 0)
    assert set(UsageRecord.objects.values_list("sim_id", flat=True)) == {s.pk for s in fleet}
    assert reached.isdisjoint(
        UsageRecord.objects.filter(synced_at__gt=max_synced_at(reached)).values_list(
            "sim_id", flat=True
        )
    )


def max_synced_at(sim_ids):
    return max(UsageRecord.objects.filter(sim_id__in=sim_ids).values_list("synced_at", flat=True))
