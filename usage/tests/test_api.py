from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Role
from accounts.tests.factories import UserFactory
from core.tests.api import assert_error_envelope, assert_success_envelope
from sims.models import SimStatus
from sims.tests.factories import SimFactory
from usage.services import refresh_daily_rollup
from usage.tests.factories import UsageRecordFactory

pytestmark = pytest.mark.django_db


def usage_url(iccid: str) -> str:
    return reverse("usage-api:sim-usage", kwargs={"iccid": iccid})


def sync_url(iccid: str) -> str:
    return reverse("usage-api:sim-usage-sync", kwargs={"iccid": iccid})


FLEET_URL = "/api/v1/usage"


@pytest.fixture
def sim(organization):
    return SimFactory(organization=organization)


def record(sim, day: date, rx: int, tx: int, mo: int = 0, mt: int = 0):
    return UsageRecordFactory(
        sim=sim, date=day, data_rx_bytes=rx, data_tx_bytes=tx, sms_mo=mo, sms_mt=mt
    )


class TestSimUsage:
    def test_daily_usage_and_summary_in_the_seed_shape(self, viewer_client, sim):
        record(sim, date(2024, 10, 1), 1_048_576, 524_288, 5, 3)
        record(sim, date(2024, 10, 2), 2_097_152, 1_048_576, 3, 2)
        record(sim, date(2024, 11, 1), 9, 9)  # outside the period
        response = viewer_client.get(
            usage_url(sim.iccid),
            {"start_date": "2024-10-01", "end_date": "2024-10-31", "granularity": "daily"},
        )
        assert response.status_code == 200, response.content
        body = response.json()
        assert_success_envelope(body)
        data = body["data"]
        assert data["iccid"] == sim.iccid
        assert data["period"] == {"start": "2024-10-01", "end": "2024-10-31"}
        assert data["granularity"] == "daily"
        assert data["usage"][0] == {
            "date": "2024-10-01",
            "volume_rx": 1_048_576,
            "volume_tx": 524_288,
            "total_volume": 1_572_864,
            "sms_mo": 5,
            "sms_mt": 3,
            "session_count": None,
        }
        assert [row["date"] for row in data["usage"]] == ["2024-10-01", "2024-10-02"]
        summary = data["summary"]
        assert summary["total_volume"] == 4_718_592
        assert summary["total_volume_rx"] == 3_145_728
        assert summary["total_volume_tx"] == 1_572_864
        assert summary["total_sms_mo"] == 8 and summary["total_sms_mt"] == 5
        assert summary["average_daily_volume"] == 152_213  # 4,718,592 / 31, half up
        assert summary["peak_daily_volume"] == 3_145_728
        assert summary["peak_date"] == "2024-10-02"

    def test_byte_totals_stay_exact_beyond_float_precision(self, viewer_client, sim):
        big = 2**53 + 1  # a float would round this
        record(sim, date(2025, 1, 1), big, 1)
        record(sim, date(2025, 1, 2), big, 2)
        response = viewer_client.get(
            usage_url(sim.iccid), {"start_date": "2025-01-01", "end_date": "2025-01-02"}
        )
        summary = response.json()["data"]["summary"]
        assert summary["total_volume_rx"] == 2 * big
        assert summary["total_volume"] == 2 * big + 3

    def test_defaults_are_the_last_30_days(self, viewer_client, sim):
        today = timezone.now().date()
        record(sim, today, 1, 1)
        record(sim, today - timedelta(days=30), 2, 2)
        record(sim, today - timedelta(days=31), 4, 4)
        data = viewer_client.get(usage_url(sim.iccid)).json()["data"]
        assert data["period"] == {
            "start": (today - timedelta(days=30)).isoformat(),
            "end": today.isoformat(),
        }
        assert data["summary"]["total_volume"] == 6

    def test_weekly_buckets_at_the_year_edge(self, viewer_client, sim):
        for offset in range(10):  # 2026-12-26 .. 2027-01-04
            record(sim, date(2026, 12, 26) + timedelta(days=offset), 1000, 24)
        response = viewer_client.get(
            usage_url(sim.iccid),
            {"start_date": "2026-12-26", "end_date": "2027-01-04", "granularity": "weekly"},
        )
        rows = response.json()["data"]["usage"]
        assert [(r["period"], r["start"], r["end"], r["total_volume"]) for r in rows] == [
            ("2026-W52", "2026-12-26", "2026-12-27", 2048),
            ("2026-W53", "2026-12-28", "2027-01-03", 7 * 1024),
            ("2027-W01", "2027-01-04", "2027-01-04", 1024),
        ]

    def test_monthly_buckets_from_december_to_january(self, viewer_client, sim):
        record(sim, date(2025, 12, 31), 100, 0, 1, 0)
        record(sim, date(2026, 1, 1), 200, 0, 0, 1)
        record(sim, date(2026, 1, 31), 300, 0, 0, 1)
        response = viewer_client.get(
            usage_url(sim.iccid),
            {"start_date": "2025-12-01", "end_date": "2026-01-31", "granularity": "monthly"},
        )
        rows = response.json()["data"]["usage"]
        assert [(r["period"], r["date"], r["volume_rx"], r["sms_mt"]) for r in rows] == [
            ("2025-12", "2025-12-01", 100, 0),
            ("2026-01", "2026-01-01", 500, 2),
        ]

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"start_date": "2024-10-31", "end_date": "2024-10-01"}, "end_date"),
            ({"start_date": "2020-01-01", "end_date": "2024-01-01"}, "start_date"),
            ({"start_date": "2024-13-01"}, "start_date"),
            ({"end_date": "yesterday"}, "end_date"),
            ({"granularity": "hourly"}, "granularity"),
        ],
    )
    def test_bad_parameters_answer_422_naming_the_field(self, viewer_client, sim, params, field):
        response = viewer_client.get(usage_url(sim.iccid), params)
        assert response.status_code == 422, response.content
        body = response.json()
        assert_error_envelope(body, "VALIDATION_ERROR")
        assert [error["loc"] for error in body["error"]["details"]["errors"]] == [[field]]

    @pytest.mark.parametrize("granularity", ["daily", "weekly", "monthly"])
    @pytest.mark.parametrize(
        "params",
        [
            {"start_date": "0001-01-01", "end_date": "0001-03-01"},
            {"end_date": "0001-01-05"},
            {"start_date": "9999-06-01", "end_date": "9999-12-31"},
        ],
    )
    def test_the_calendar_edges_are_answered(self, viewer_client, sim, params, granularity):
        response = viewer_client.get(usage_url(sim.iccid), {**params, "granularity": granularity})
        assert response.status_code == 200, response.content
        period = response.json()["data"]["period"]
        assert period["end"] == params["end_date"]
        assert period["start"] == params.get("start_date", "0001-01-01")

    def test_exactly_two_years_is_allowed(self, viewer_client, sim):
        response = viewer_client.get(
            usage_url(sim.iccid), {"start_date": "2022-03-01", "end_date": "2024-03-01"}
        )
        assert response.status_code == 200

    def test_without_credentials_is_401(self, sim):
        response = APIClient().get(usage_url(sim.iccid))
        assert response.status_code == 401
        assert_error_envelope(response.json(), "UNAUTHORIZED")

    def test_sim_of_another_organization_is_404(self, other_organization, sim):
        stranger = APIClient()
        stranger.force_authenticate(UserFactory(organization=other_organization, role=Role.ADMIN))
        response = stranger.get(usage_url(sim.iccid))
        assert response.status_code == 404
        assert_error_envelope(response.json(), "NOT_FOUND")

    def test_malformed_iccid_is_400(self, viewer_client):
        response = viewer_client.get(usage_url("12345"))
        assert response.status_code == 400
        assert_error_envelope(response.json(), "INVALID_ICCID")

    @pytest.mark.parametrize("days", [1, 90])
    def test_query_count_is_pinned(self, viewer_client, sim, django_assert_num_queries, days):
        for offset in range(days):
            record(sim, date(2025, 1, 1) + timedelta(days=offset), offset, 1)
        with django_assert_num_queries(3):  # the SIM, its records, its coverage
            response = viewer_client.get(
                usage_url(sim.iccid),
                {"start_date": "2025-01-01", "end_date": "2025-03-31", "granularity": "weekly"},
            )
        assert response.status_code == 200


class TestSimUsageSyncPermissions:
    def test_viewer_cannot_sync(self, viewer_client, sim):
        response = viewer_client.post(sync_url(sim.iccid))
        assert response.status_code == 403
        assert_error_envelope(response.json(), "FORBIDDEN")

    def test_without_credentials_is_401(self, sim):
        response = APIClient().post(sync_url(sim.iccid))
        assert response.status_code == 401

    def test_sim_of_another_organization_is_404(self, other_organization, sim):
        stranger = APIClient()
        stranger.force_authenticate(
            UserFactory(organization=other_organization, role=Role.OPERATOR)
        )
        response = stranger.post(sync_url(sim.iccid))
        assert response.status_code == 404


class TestFleetUsage:
    @pytest.fixture
    def fleet(self, organization, other_organization):
        enabled = SimFactory(organization=organization, tags=["truck", "eu"])
        disabled = SimFactory(organization=organization, status=SimStatus.DISABLED, tags=["eu"])
        untagged = SimFactory(organization=organization, tags=[])
        foreign = SimFactory(organization=other_organization)
        days = [date(2026, 12, 31), date(2027, 1, 1)]
        for day in days:
            record(enabled, day, 1000, 100, 1, 0)
            record(disabled, day, 10, 1, 0, 1)
            record(untagged, day, 5, 5)
            record(foreign, day, 999_999, 999_999)
        refresh_daily_rollup(organization_id=organization.pk, dates=days)
        refresh_daily_rollup(organization_id=other_organization.pk, dates=days)
        return enabled, disabled, untagged

    def test_daily_totals_of_own_organization_only(self, viewer_client, fleet):
        response = viewer_client.get(
            FLEET_URL, {"start_date": "2026-12-31", "end_date": "2027-01-01"}
        )
        assert response.status_code == 200, response.content
        body = response.json()
        assert_success_envelope(body)
        rows = body["data"]["usage"]
        assert [(r["date"], r["total_volume"], r["sim_count"]) for r in rows] == [
            ("2026-12-31", 1121, 3),
            ("2027-01-01", 1121, 3),
        ]
        assert body["data"]["summary"]["total_volume"] == 2242
        assert "groups" not in body["data"]

    def test_monthly_totals_split_at_the_year_edge(self, viewer_client, fleet):
        response = viewer_client.get(
            FLEET_URL,
            {"start_date": "2026-12-01", "end_date": "2027-01-31", "granularity": "monthly"},
        )
        rows = response.json()["data"]["usage"]
        assert [(r["period"], r["volume_rx"], r["sms_mo"], r["sim_count"]) for r in rows] == [
            ("2026-12", 1015, 1, 3),
            ("2027-01", 1015, 1, 3),
        ]

    def test_group_by_status(self, viewer_client, fleet):
        response = viewer_client.get(
            FLEET_URL,
            {"start_date": "2026-12-31", "end_date": "2027-01-01", "group_by": "status"},
        )
        groups = {g["key"]: g for g in response.json()["data"]["groups"]}
        assert set(groups) == {"Enabled", "Disabled"}
        assert groups["Enabled"]["summary"]["total_volume"] == 2 * 1110
        assert groups["Disabled"]["summary"]["total_volume"] == 2 * 11
        assert groups["Enabled"]["usage"][0]["sim_count"] == 2

    def test_group_by_tag_counts_a_sim_in_each_of_its_tags(self, viewer_client, fleet):
        response = viewer_client.get(
            FLEET_URL,
            {"start_date": "2026-12-31", "end_date": "2027-01-01", "group_by": "tag"},
        )
        groups = response.json()["data"]["groups"]
        assert [g["key"] for g in groups] == ["eu", "truck", None]
        totals = {g["key"]: g["summary"]["total_volume"] for g in groups}
        assert totals == {"eu": 2 * (1100 + 11), "truck": 2 * 1100, None: 2 * 10}

    def test_bad_group_by_is_422(self, viewer_client):
        response = viewer_client.get(FLEET_URL, {"group_by": "colour"})
        assert response.status_code == 422
        assert response.json()["error"]["details"]["errors"][0]["loc"] == ["group_by"]

    def test_without_credentials_is_401(self):
        assert APIClient().get(FLEET_URL).status_code == 401

    @pytest.mark.parametrize(("group_by", "queries"), [(None, 2), ("tag", 3), ("status", 3)])
    def test_query_count_is_pinned(
        self, viewer_client, fleet, django_assert_num_queries, group_by, queries
    ):
        params = {"start_date": "2026-12-01", "end_date": "2027-01-31"}
        if group_by:
            params["group_by"] = group_by
        with django_assert_num_queries(queries):
            assert viewer_client.get(FLEET_URL, params).status_code == 200
