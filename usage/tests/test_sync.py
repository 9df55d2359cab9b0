"""Usage sync against the 1NCE simulator over HTTP (US-010)."""

from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import parse_qs, urlparse

import pytest
import time_machine
from celery.exceptions import Retry
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from core.models import TaskRun, TaskRunOutcome
from core.tests.api import assert_error_envelope
from sims.models import EventType, SimEvent, SimStatus
from sims.services import onence_client_for
from sims.tests.factories import SimFactory
from simulators.onence import testing
from simulators.onence.models import OnenceUsageDay
from upstream.exceptions import UpstreamUnavailable
from usage import services
from usage.models import OrganizationDailyUsage, UsageRecord
from usage.services import sync_usage, sync_usage_for_sim
from usage.tasks import sync_usage as sync_usage_task
from usage.tests.conftest import fail_requests

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _thirty_day_window(settings):
    """These tests count records of a 30-day first sync; the default (90) has its own tests."""
    settings.USAGE_INITIAL_SYNC_DAYS = 30


@pytest.fixture(autouse=True)
def _midday():
    """The simulator accrues a SIM's usage through the day: in the first minutes after midnight
    it holds next to nothing for today, and the tests that read today's row would fail then.
    They run at noon of the current day (the clock ticks on from it)."""
    with time_machine.travel(
        datetime.combine(timezone.now().date(), time(12), tzinfo=UTC), tick=True
    ):
        yield


def today() -> date:
    return timezone.now().date()


def usage_requests(iccid: str = "") -> list[dict]:
    """The usage calls the simulator received, with their date range parsed."""
    calls = []
    for call in testing.requests_received(path_contains="/usage", method="GET"):
        url = urlparse(call["path"])
        if iccid and iccid not in url.path:
            continue
        query = parse_qs(url.query)
        calls.append(
            {
                **call,
                "start": date.fromisoformat(query["start_dt"][0]),
                "end": date.fromisoformat(query["end_dt"][0]),
            }
        )
    return calls


def stored(sim) -> dict:
    return {
        r.date: (r.data_rx_bytes, r.data_tx_bytes, r.sms_mo, r.sms_mt)
        for r in UsageRecord.objects.filter(sim=sim)
    }


def upstream_days(iccid: str, start: date) -> dict:
    return {
        d.date: (d.data_rx, d.data_tx, d.sms_mo, d.sms_mt)
        for d in OnenceUsageDay.objects.filter(sim__iccid=iccid, date__gte=start)
    }


@pytest.fixture
def sims(onence_sim, organization):
    iccids = testing.seed_fleet(sims=2, days=45)
    return [SimFactory(organization=organization, iccid=iccid) for iccid in iccids]


def sync_url(sim) -> str:
    return reverse("usage-api:sim-usage-sync", kwargs={"iccid": sim.iccid})


class TestSimSync:
    def test_first_sync_fetches_the_initial_window_with_exact_bytes(self, sims, operator_client):
        sim = sims[0]
        response = operator_client.post(sync_url(sim))
        assert response.status_code == 200, response.content
        data = response.json()["data"]

        start = today() - timedelta(days=30)
        (call,) = usage_requests(sim.iccid)
        assert (call["start"], call["end"]) == (start, today())
        assert data["fetched_from"] == start.isoformat()
        assert data["records_added"] == 31 and data["records_updated"] == 0
        assert data["latest_date"] == today().isoformat()
        # What the 1NCE client read, stored as it is.
        client = onence_client_for(organization=sim.organization)
        read = {
            d.date: (d.data_rx_bytes, d.data_tx_bytes, d.sms_mo, d.sms_mt)
            for d in client.get_usage(sim.iccid, start=start, end=today() - timedelta(days=1))
        }
        mine = stored(sim)
        assert set(mine) == set(upstream_days(sim.iccid, start))
        assert {d: v for d, v in mine.items() if d < today()} == read

    def test_stored_bytes_equal_the_bytes_1nce_counted(self, sims):
        """End to end: the simulator counts bytes, sends MB, we store bytes again."""
        sim = sims[0]
        sync_usage_for_sim(sim=sim)
        yesterday = today() - timedelta(days=1)
        assert stored(sim)[yesterday] == upstream_days(sim.iccid, yesterday)[yesterday]

    def test_initial_window_follows_the_setting(self, sims, settings):
        settings.USAGE_INITIAL_SYNC_DAYS = 7
        result = sync_usage_for_sim(sim=sims[0])
        assert result.fetched_from == today() - timedelta(days=7)
        assert result.added == 8

    def test_next_sync_fetches_only_from_the_last_stored_day(self, sims):
        sim = sims[0]
        sync_usage_for_sim(sim=sim)
        # As if the last sync ran three days ago: the last stored day is then partial.
        last = today() - timedelta(days=3)
        UsageRecord.objects.filter(sim=sim, date__gt=last).delete()
        UsageRecord.objects.filter(sim=sim, date=last).update(data_rx_bytes=1)

        result = sync_usage_for_sim(sim=sim)

        calls = usage_requests(sim.iccid)
        assert len(calls) == 2
        assert (calls[-1]["start"], calls[-1]["end"]) == (last, today())
        assert (result.added, result.updated, result.unchanged) == (3, 1, 0)
        (read,) = onence_client_for(organization=sim.organization).get_usage(
            sim.iccid, start=last, end=last
        )
        assert stored(sim)[last] == (
            read.data_rx_bytes,
            read.data_tx_bytes,
            read.sms_mo,
            read.sms_mt,
        )

    def test_repeated_sync_asks_for_today_only_and_changes_nothing(self, sims):
        sim = sims[0]
        sync_usage_for_sim(sim=sim)
        before = stored(sim)
        result = sync_usage_for_sim(sim=sim)
        assert (usage_requests(sim.iccid)[-1]["start"], result.added) == (today(), 0)
        assert stored(sim).keys() == before.keys()

    def test_usage_endpoint_totals_are_the_exact_sums_of_the_days(self, sims, operator_client):
        sim = sims[0]
        operator_client.post(sync_url(sim))
        start, end = today() - timedelta(days=20), today() - timedelta(days=1)
        response = operator_client.get(
            reverse("usage-api:sim-usage", kwargs={"iccid": sim.iccid}),
            {"start_date": start.isoformat(), "end_date": end.isoformat(), "granularity": "weekly"},
        )
        data = response.json()["data"]
        days = onence_client_for(organization=sim.organization).get_usage(
            sim.iccid, start=start, end=end
        )
        rx, tx = sum(d.data_rx_bytes for d in days), sum(d.data_tx_bytes for d in days)
        summary = data["summary"]
        assert (summary["total_volume_rx"], summary["total_volume_tx"]) == (rx, tx)
        assert summary["total_volume"] == rx + tx
        assert summary["total_sms_mo"] == sum(d.sms_mo for d in days)
        assert summary["total_sms_mt"] == sum(d.sms_mt for d in days)
        assert sum(bucket["total_volume"] for bucket in data["usage"]) == rx + tx
        peak = max(days, key=lambda d: (d.data_rx_bytes + d.data_tx_bytes, -d.date.toordinal()))
        assert summary["peak_date"] == peak.date.isoformat()
        assert summary["average_daily_volume"] == (2 * (rx + tx) + 20) // 40  # half up

    def test_sync_keeps_the_rollup_current(self, sims, organization):
        for sim in sims:
            sync_usage_for_sim(sim=sim)
        day = today() - timedelta(days=2)
        rollup = OrganizationDailyUsage.objects.get(organization=organization, date=day)
        records = UsageRecord.objects.filter(organization=organization, date=day)
        assert rollup.sim_count == 2
        assert rollup.data_rx_bytes == sum(r.data_rx_bytes for r in records)
        assert rollup.sms_mt == sum(r.sms_mt for r in records)

    def test_failing_upstream_answers_503_and_changes_nothing(
        self, sims, operator_client, organization
    ):
        sim = sims[0]
        sync_usage_for_sim(sim=sim)
        UsageRecord.objects.filter(sim=sim, date=today()).delete()
        before = stored(sim)
        rollup_before = list(OrganizationDailyUsage.objects.values())
        fail_requests(status=503)

        response = operator_client.post(sync_url(sim))

        assert response.status_code == 503, response.content
        assert_error_envelope(response.json(), "SERVICE_UNAVAILABLE")
        assert stored(sim) == before
        assert list(OrganizationDailyUsage.objects.values()) == rollup_before

    def test_upstream_timeout_answers_504(self, sims, operator_client, settings):
        settings.UPSTREAM_READ_TIMEOUT = 0.3
        testing.set_faults(hang_seconds=1.0, paths="/usage", enforce_rate_limit=False)
        response = operator_client.post(sync_url(sims[0]))
        assert response.status_code == 504, response.content
        assert_error_envelope(response.json(), "GATEWAY_TIMEOUT")
        assert not UsageRecord.objects.exists()


class TestFleetSync:
    def test_syncs_every_enabled_sim_and_records_a_failure_event(self, sims, organization):
        disabled = SimFactory(organization=organization, status=SimStatus.DISABLED)
        unknown = SimFactory(organization=organization)  # not in 1NCE: 404, not retried

        report = sync_usage()

        assert (report.sims, report.synced, report.failed) == (3, 2, 1)
        assert report.records_added == 62 and report.retried == 0
        assert report.failed_iccids == [unknown.iccid]
        assert not UsageRecord.objects.filter(sim=disabled).exists()
        event = SimEvent.objects.get(sim=unknown)
        assert event.event_type == EventType.USAGE_SYNC_FAILED
        assert event.details["error"] == "UpstreamNotFound"
        assert OrganizationDailyUsage.objects.filter(organization=organization).count() == 31

    def test_transient_failures_are_retried_then_reported(self, sims):
        failing = sims[1]
        fail_requests(status=503, paths=failing.iccid)

        report = sync_usage()

        assert (report.synced, report.failed, report.retried) == (1, 1, 2)
        assert len(usage_requests(failing.iccid)) == 3  # first pass and two retries
        assert SimEvent.objects.filter(sim=failing, event_type=EventType.USAGE_SYNC_FAILED).exists()
        assert not UsageRecord.objects.filter(sim=failing).exists()

    def test_a_sim_that_recovers_on_retry_raises_no_event(self, sims, monkeypatch):
        fail_requests(status=503, paths=sims[1].iccid)
        # The pause between passes is where 1NCE recovers.
        monkeypatch.setattr(services, "_pause", lambda seconds: testing.clear_faults())

        report = sync_usage()

        assert (report.synced, report.failed, report.retried) == (2, 0, 1)
        assert not SimEvent.objects.exists()
        assert UsageRecord.objects.filter(sim=sims[1]).count() == 31

    def test_upstream_down_stops_the_run_without_an_event_per_sim(self, sims, settings):
        settings.USAGE_SYNC_ABORT_AFTER = 2
        fail_requests(status=503)
        with pytest.raises(UpstreamUnavailable):
            sync_usage()
        assert not SimEvent.objects.exists()

    def test_a_large_fleet_is_covered_over_runs_least_recently_synced_first(
        self, sims, organization, settings
    ):
        settings.USAGE_SYNC_MAX_SIMS = 1
        first = sync_usage()
        second = sync_usage()
        third = sync_usage()
        assert (first.sims, second.sims, third.sims) == (1, 1, 1)
        iccids = [sim.iccid for sim in sims]
        synced = [next(i for i in iccids if i in call["path"]) for call in usage_requests()]
        assert synced == [iccids[0], iccids[1], iccids[0]]

    def test_only_the_given_organization(self, sims, other_organization):
        SimFactory(organization=other_organization)  # would fail: not in 1NCE
        report = sync_usage(organization=sims[0].organization)
        assert (report.sims, report.failed) == (2, 0)

    def test_periodic_task_run_is_recorded_for_the_scheduler_status(self, sims, viewer_client):
        call_command("setup_periodic_tasks")
        result = sync_usage_task.delay().get()
        assert result["records_added"] == 62
        run = TaskRun.objects.get(task="usage.tasks.sync_usage")
        assert run.outcome == TaskRunOutcome.SUCCESS and run.result["synced"] == 2

        jobs = viewer_client.get("/api/v1/scheduler/status").json()["data"]["jobs"]
        job = next(j for j in jobs if j["name"] == "sync-usage")
        assert job["last_outcome"] == "success"
        assert job["last_duration_seconds"] is not None

    def test_task_retries_when_upstream_is_down(self, sims, settings):
        settings.USAGE_SYNC_ABORT_AFTER = 1
        fail_requests(status=503)
        with pytest.raises(Retry):
            sync_usage_task.delay()
        run = TaskRun.objects.get(task="usage.tasks.sync_usage")
        assert run.outcome == TaskRunOutcome.RETRY
        assert "UpstreamUnavailable" in run.error

    def test_management_command(self, sims, organization, capsys):
        call_command("sync_usage", "--organization", organization.slug, verbosity=0)
        assert "2 SIMs: 2 synced, 0 failed; 62 records added" in capsys.readouterr().out
        with pytest.raises(CommandError):
            call_command("sync_usage", "--organization", "nope")
