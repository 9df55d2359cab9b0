"""Usage answers what was asked: a 90-day backfill by default, the covered days stated in
every answer, empty days inside them zero-filled, and ISO 8601 date-times as days in UTC."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from sims.tests.factories import SimFactory
from simulators.onence import testing
from usage.models import UsageCoverage, UsageRecord
from usage.services import UPSTREAM_HISTORY_DAYS, sync_usage_for_sim, sync_window
from usage.tests.test_api import FLEET_URL, record, usage_url
from usage.tests.test_sync import upstream_days, usage_requests


def today() -> date:
    return timezone.now().date()


def cover(sim, first: date, last: date) -> UsageCoverage:
    return UsageCoverage.objects.create(
        sim=sim, organization=sim.organization, first_day=first, last_day=last
    )


@pytest.mark.django_db(transaction=True)
class TestBackfill:
    @pytest.fixture
    def sim(self, onence_simulator, organization, settings):
        settings.UPSTREAM_MAX_RETRIES = 0
        (iccid,) = testing.seed_fleet(sims=1, days=120)
        return SimFactory(organization=organization, iccid=iccid)

    def test_first_sync_reads_90_days_by_default_and_records_the_coverage(self, sim):
        result = sync_usage_for_sim(sim=sim)

        start = today() - timedelta(days=90)
        assert result.fetched_from == start
        (call,) = usage_requests(sim.iccid)
        assert (call["start"], call["end"]) == (start, today())
        # 1NCE lists the days it has: all of them are stored.
        assert UsageRecord.objects.filter(sim=sim).count() == len(upstream_days(sim.iccid, start))
        assert UsageRecord.objects.filter(sim=sim, date__lt=today() - timedelta(days=60)).exists()
        coverage = UsageCoverage.objects.get(sim=sim)
        assert (coverage.first_day, coverage.last_day) == (start, today())

    def test_raising_the_setting_reaches_back_once(self, sim, settings):
        settings.USAGE_INITIAL_SYNC_DAYS = 30
        sync_usage_for_sim(sim=sim)
        assert UsageCoverage.objects.get(sim=sim).first_day == today() - timedelta(days=30)

        settings.USAGE_INITIAL_SYNC_DAYS = 90
        start = today() - timedelta(days=90)
        assert sync_usage_for_sim(sim=sim).fetched_from == start
        assert UsageRecord.objects.filter(sim=sim).count() == len(upstream_days(sim.iccid, start))
        # Covered now: the next run is incremental again (from the last stored day).
        last = UsageRecord.objects.filter(sim=sim).latest("date").date
        assert sync_usage_for_sim(sim=sim).fetched_from == last

    def test_the_window_is_capped_at_what_1nce_keeps(self, sim, settings):
        settings.USAGE_INITIAL_SYNC_DAYS = 1000
        assert sync_window(sim=sim)[0] == today() - timedelta(days=UPSTREAM_HISTORY_DAYS)


@pytest.mark.django_db
class TestAnswers:
    @pytest.fixture
    def sim(self, organization):
        return SimFactory(organization=organization)

    def test_a_30_day_daily_query_answers_30_rows_with_the_coverage(self, viewer_client, sim):
        start = today() - timedelta(days=29)
        cover(sim, today() - timedelta(days=90), today())
        record(sim, start + timedelta(days=3), 100, 50)
        record(sim, today(), 7, 0)

        data = viewer_client.get(
            usage_url(sim.iccid), {"start_date": start.isoformat(), "end_date": today().isoformat()}
        ).json()["data"]

        assert data["coverage"] == {
            "from": (today() - timedelta(days=90)).isoformat(),
            "to": today().isoformat(),
        }
        assert [row["date"] for row in data["usage"]] == [
            (start + timedelta(days=n)).isoformat() for n in range(30)
        ]
        assert data["usage"][0]["total_volume"] == 0 and data["usage"][0]["sms_mo"] == 0
        assert data["usage"][3]["total_volume"] == 150
        assert data["summary"]["days_with_data"] == 2 and data["summary"]["days"] == 30

    def test_days_before_the_coverage_are_not_made_up(self, viewer_client, sim):
        cover(sim, date(2026, 3, 10), date(2026, 3, 31))
        data = viewer_client.get(
            usage_url(sim.iccid), {"start_date": "2026-03-01", "end_date": "2026-03-31"}
        ).json()["data"]
        assert data["usage"][0]["date"] == "2026-03-10"
        assert len(data["usage"]) == 22
        assert data["coverage"]["from"] == "2026-03-10"

    def test_nothing_read_yet_answers_a_null_coverage_and_no_rows(self, viewer_client, sim):
        data = viewer_client.get(usage_url(sim.iccid)).json()["data"]
        assert data["coverage"] == {"from": None, "to": None}
        assert data["usage"] == []

    def test_weeks_and_months_without_usage_are_zero_rows(self, viewer_client, sim):
        cover(sim, date(2026, 1, 1), date(2026, 3, 31))
        record(sim, date(2026, 1, 15), 10, 0)
        record(sim, date(2026, 3, 2), 5, 0)
        params = {"start_date": "2026-01-01", "end_date": "2026-03-31"}

        months = viewer_client.get(
            usage_url(sim.iccid), {**params, "granularity": "monthly"}
        ).json()["data"]["usage"]
        assert [(m["period"], m["total_volume"], m["days"]) for m in months] == [
            ("2026-01", 10, 1),
            ("2026-02", 0, 0),
            ("2026-03", 5, 1),
        ]
        weeks = viewer_client.get(usage_url(sim.iccid), {**params, "granularity": "weekly"}).json()[
            "data"
        ]["usage"]
        assert len(weeks) == 14  # 2026-W01 (from Thursday 1 January) to 2026-W14
        assert sum(week["total_volume"] for week in weeks) == 15
        assert [week["period"] for week in weeks] == sorted(week["period"] for week in weeks)

    def test_fleet_answers_zero_filled_days_with_sim_count_and_coverage(
        self, viewer_client, organization, sim
    ):
        other = SimFactory(organization=organization)
        cover(sim, date(2026, 5, 1), date(2026, 5, 10))
        cover(other, date(2026, 5, 3), date(2026, 5, 10))  # added later: read from 3 May
        record(sim, date(2026, 5, 4), 10, 0)
        from usage.services import rebuild_daily_rollup

        rebuild_daily_rollup(organization_id=organization.pk)
        data = viewer_client.get(
            FLEET_URL, {"start_date": "2026-05-01", "end_date": "2026-05-10"}
        ).json()["data"]
        assert data["coverage"] == {"from": "2026-05-03", "to": "2026-05-10"}
        assert data["usage"][0]["date"] == "2026-05-03"
        assert len(data["usage"]) == 8
        assert [(row["total_volume"], row["sim_count"]) for row in data["usage"][:2]] == [
            (0, 0),
            (10, 1),
        ]

    @pytest.mark.parametrize(
        ("start", "end", "expected"),
        [
            ("2026-03-01T00:00:00Z", "2026-03-02T10:30:00Z", ("2026-03-01", "2026-03-02")),
            # The day in UTC: late evening in Sao Paulo is the next day.
            (
                "2026-03-01T22:30:00-03:00",
                "2026-03-03T01:00:00+02:00",
                ("2026-03-02", "2026-03-02"),
            ),
            ("2026-03-01T12:00:00", "2026-03-02", ("2026-03-01", "2026-03-02")),
        ],
    )
    def test_start_and_end_accept_iso_8601_date_times(
        self, viewer_client, sim, start, end, expected
    ):
        response = viewer_client.get(usage_url(sim.iccid), {"start_date": start, "end_date": end})
        assert response.status_code == 200, response.content
        period = response.json()["data"]["period"]
        assert (period["start"], period["end"]) == expected

    def test_a_malformed_date_time_is_422_naming_the_parameter(self, viewer_client, sim):
        response = viewer_client.get(usage_url(sim.iccid), {"start_date": "2026-03-01T99:00"})
        assert response.status_code == 422
        assert response.json()["error"]["details"]["errors"][0]["loc"] == ["start_date"]
