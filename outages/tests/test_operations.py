"""The SLA watch, RCA, MTTR analytics, monthly reports and the outbox hook."""

import base64
import csv
import io
import re
import zlib
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Role
from accounts.tests.factories import UserFactory
from outages import services
from outages.models import Outage, OutageEvent, RcaAction, SlaReport, TimelineEntry
from outages.tests.factories import OutageFactory

pytestmark = pytest.mark.django_db


def client_as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def make_resolved(
    organization, context, *, minutes, severity="critical", detected=None, site="Tower A"
):
    detected = detected or timezone.now() - timedelta(days=1)
    outage = OutageFactory(
        organization=organization, severity=severity, detected_at=detected, site_name=site
    )
    outage, _ = services.resolve_outage(
        outage=outage, context=context, resolved_at=detected + timedelta(minutes=minutes)
    )
    return outage


# --- SLA watch ---------------------------------------------------------------------------


def test_watch_flags_at_80_percent_and_breach_once_each(organization):
    now = timezone.now()
    early = OutageFactory(organization=organization, detected_at=now - timedelta(minutes=11))
    risky = OutageFactory(organization=organization, detected_at=now - timedelta(minutes=12))
    breached = OutageFactory(organization=organization, detected_at=now - timedelta(minutes=16))
    report = services.watch_sla(now=now)
    assert sorted(report.warned) == sorted([risky.public_id, breached.public_id])
    assert report.breached == [breached.public_id]
    again = services.watch_sla(now=now + timedelta(seconds=30))
    assert again.warned == [] and again.breached == []
    assert not OutageEvent.objects.filter(outage=early).exists()
    assert OutageEvent.objects.filter(kind="sla.warning").count() == 2
    assert OutageEvent.objects.filter(kind="sla.breached").count() == 1
    assert TimelineEntry.objects.filter(outage=breached, kind="sla_breached").count() == 1
    # A minute later the early one reaches 80 %; the others are not flagged again.
    assert services.watch_sla(now=now + timedelta(minutes=1)).warned == [early.public_id]


def test_a_reopened_outage_is_not_flagged_twice_and_does_not_stop_the_watch(
    organization, admin_context
):
    now = timezone.now()
    reopened = OutageFactory(organization=organization, detected_at=now - timedelta(minutes=30))
    assert services.watch_sla(now=now).breached == [reopened.public_id]
    services.resolve_outage(outage=reopened, context=admin_context)
    services.update_outage(outage=reopened, changes={"status": "active"}, context=admin_context)
    # A row whose flags were cleared after it was flagged (as reopening once did).
    cleared = OutageFactory(organization=organization, detected_at=now - timedelta(minutes=40))
    services.watch_sla(now=now)
    Outage.objects.filter(pk=cleared.pk).update(sla_warned_at=None, sla_breached_at=None)
    fresh = OutageFactory(organization=organization, detected_at=now - timedelta(minutes=20))

    report = services.watch_sla(now=now + timedelta(minutes=1))

    assert report.warned == [fresh.public_id] and report.breached == [fresh.public_id]
    for outage in (reopened, cleared):
        assert OutageEvent.objects.filter(outage=outage, kind="sla.breached").count() == 1
        assert OutageEvent.objects.filter(outage=outage, kind="sla.warning").count() == 1


def test_watch_evaluates_resolved_outages_left_without_result(organization):
    detected = timezone.now() - timedelta(hours=1)
    outage = OutageFactory(
        organization=organization,
        status="resolved",
        detected_at=detected,
        resolved_at=detected + timedelta(minutes=10),
        mttr_minutes=10,
    )
    assert services.watch_sla().evaluated == [outage.public_id]
    assert services.watch_sla().evaluated == []
    outage.refresh_from_db()
    assert outage.sla_met is True


# --- RCA -----------------------------------------------------------------------------------


RCA = {
    "category": "power",
    "contributing_factors": ["UPS battery aged", "No generator"],
    "summary": "UPS battery failure",
    "actions": [
        {
            "description": "Replace batteries",
            "owner": "user123",
            "due_date": "2026-02-01",
            "done": False,
        },
        {
            "description": "Install generator",
            "owner": "ops",
            "due_date": "2026-03-01",
            "done": True,
        },
    ],
}


def test_rca_put_and_get(operator, organization, operator_context):
    outage = make_resolved(organization, operator_context, minutes=10)
    url = f"/api/v1/outages/{outage.public_id}/rca"
    client = client_as(operator)
    assert client.get(url).status_code == 404
    response = client.put(url, RCA, format="json")
    assert response.status_code == 200, response.content
    data = client.get(url).json()["data"]
    assert data["category"] == "power"
    assert data["contributing_factors"] == RCA["contributing_factors"]
    assert [a["done"] for a in data["actions"]] == [False, True]
    assert data["actions"][1]["done_at"] is not None
    # Replace: keep the first action (by id), drop the second.
    kept = {**data["actions"][0], "done": True}
    client.put(url, {**RCA, "category": "fiber", "actions": [kept]}, format="json")
    assert list(RcaAction.objects.values_list("pk", "done")) == [(kept["id"], True)]
    assert TimelineEntry.objects.filter(outage=outage, kind="rca_updated").count() == 2


def test_rca_refused_for_unresolved_and_bad_category(operator, organization):
    outage = OutageFactory(organization=organization)
    url = f"/api/v1/outages/{outage.public_id}/rca"
    assert client_as(operator).put(url, RCA, format="json").status_code == 409
    response = client_as(operator).put(url, {**RCA, "category": "aliens"}, format="json")
    assert response.status_code == 422
    assert "third_party" in response.json()["error"]["details"]["allowed_values"]


def test_viewer_cannot_write_rca(organization, operator_context):
    outage = make_resolved(organization, operator_context, minutes=10)
    viewer = UserFactory(organization=organization, role=Role.VIEWER)
    assert (
        client_as(viewer)
        .put(f"/api/v1/outages/{outage.public_id}/rca", RCA, format="json")
        .status_code
        == 403
    )


# --- MTTR analytics ------------------------------------------------------------------------


def test_mttr_statistics_shape_and_figures(
    operator, organization, other_organization, operator_context
):
    for minutes in (10, 20, 30):
        make_resolved(organization, operator_context, minutes=minutes)  # critical: 15 min
    make_resolved(organization, operator_context, minutes=40, severity="high", site="Tower B")
    other_context = type(operator_context)(actor=None)
    make_resolved(other_organization, other_context, minutes=500)
    OutageFactory(organization=organization)  # open: not counted

    body = client_as(operator).get("/api/v1/analytics/mttr", {"group_by": "site"}).json()["data"]
    overall = body["overall"]
    assert overall["total_outages"] == 4
    assert overall["average_mttr_minutes"] == 25.0
    assert overall["median_mttr_minutes"] == 25.0
    assert overall["sla_compliance_rate"] == 25.0  # only the 10-minute one met
    assert body["by_severity"]["critical"] == {
        "average_mttr": 20.0,
        "count": 3,
        "sla_met": 1,
        "sla_violated": 2,
        "sla_compliance_rate": 33.3,
    }
    assert [(g["key"], g["count"]) for g in body["groups"]] == [("Tower A", 3), ("Tower B", 1)]
    assert set(body["period"]) == {"start", "end"}


@pytest.mark.parametrize("group_by", ["severity", "day", "week", "root_cause"])
def test_mttr_groupings(operator, organization, operator_context, group_by):
    outage = make_resolved(organization, operator_context, minutes=10)
    services.save_rca(outage=outage, category="fiber", context=operator_context)
    make_resolved(organization, operator_context, minutes=20)
    body = client_as(operator).get("/api/v1/analytics/mttr", {"group_by": group_by}).json()["data"]
    assert sum(g["count"] for g in body["groups"]) == 2
    if group_by == "root_cause":
        assert {g["key"] for g in body["groups"]} == {"fiber", "unrecorded"}


def test_mttr_is_aggregated_in_the_database(operator, organization, operator_context):
    for minutes in range(1, 9):
        make_resolved(organization, operator_context, minutes=minutes)
    client = client_as(operator)
    with CaptureQueriesContext(connection) as queries:
        client.get("/api/v1/analytics/mttr", {"group_by": "week"})
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert "percentile_cont" in sql
    assert "DATE_TRUNC" in sql.upper()
    assert len(queries) <= 4  # overall, by severity, groups (+ the user's organization)


def test_mttr_validates_input(operator):
    client = client_as(operator)
    assert (
        client.get("/api/v1/analytics/mttr", {"group_by": "month"}).json()["error"]["details"][
            "field"
        ]
        == "group_by"
    )
    assert client.get("/api/v1/analytics/mttr", {"start_date": "soon"}).status_code == 422


# --- Reports -------------------------------------------------------------------------------


def test_monthly_report_json_csv_pdf(operator, organization, other_organization, operator_context):
    january = datetime(2026, 1, 10, 8, 0, tzinfo=UTC)
    make_resolved(organization, operator_context, minutes=25, detected=january)  # -1000
    make_resolved(
        organization, operator_context, minutes=15, detected=january + timedelta(days=1)
    )  # +750
    make_resolved(
        other_organization, type(operator_context)(actor=None), minutes=5, detected=january
    )
    client = client_as(operator)
    data = client.get("/api/v1/reports/sla", {"month": "2026-01"}).json()["data"]
    assert data["month"] == "2026-01"
    assert data["outages_resolved"] == 2
    assert (data["penalties"], data["rewards"], data["net"]) == (1000.0, 750.0, -250.0)
    assert data["sla_compliance_rate"] == 50.0
    assert data["by_severity"]["critical"]["resolved"] == 2
    assert data["config_versions"] == [
        {
            "severity": "critical",
            "version": 1,
            "threshold_minutes": 15,
            "penalty_per_minute": 100.0,
            "reward_base": 750.0,
            "results": 2,
        }
    ]
    assert [d["date"] for d in data["mttr_by_day"]] == ["2026-01-10", "2026-01-11"]

    response = client.get("/api/v1/reports/sla", {"month": "2026-01", "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert ["net", "-250.00"] in rows

    pdf = client.get("/api/v1/reports/sla", {"month": "2026-01", "format": "pdf"})
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")

    bad = client.get("/api/v1/reports/sla", {"month": "2026-13", "format": "pdf"})
    assert bad.status_code == 422
    assert bad.json()["error"]["details"]["field"] == "month"


def test_report_csv_cells_typed_by_people_are_never_formulas(operator, organization, admin_context):
    january = datetime(2026, 1, 10, 8, 0, tzinfo=UTC)
    outage = OutageFactory(
        organization=organization, detected_at=january, site_id='=HYPERLINK("http://x")'
    )
    services.resolve_outage(
        outage=outage, context=admin_context, resolved_at=january + timedelta(minutes=20)
    )
    response = client_as(operator).get("/api/v1/reports/sla", {"month": "2026-01", "format": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    row = next(r for r in rows if r and r[0] == outage.public_id)
    assert row[2] == """'=HYPERLINK("http://x")"""
    assert row[7] == "-500.00"  # a number stays a number


def pdf_content(pdf: bytes) -> bytes:
    """The drawing operators of a ReportLab PDF (its streams are ASCII85 over Flate)."""
    streams = re.findall(rb"stream\r?\n(.*?)endstream", pdf, re.S)
    return b"\n".join(
        zlib.decompress(base64.a85decode(raw.strip().removesuffix(b"~>"))) for raw in streams
    )


def test_report_pdf_draws_the_mttr_by_day_chart(operator, organization, operator_context):
    january = datetime(2026, 1, 10, 8, 0, tzinfo=UTC)
    make_resolved(organization, operator_context, minutes=25, detected=january)
    make_resolved(organization, operator_context, minutes=9, detected=january + timedelta(days=3))
    pdf = client_as(operator).get("/api/v1/reports/sla", {"month": "2026-01", "format": "pdf"})
    content = pdf_content(pdf.content)
    assert b".184314 .435294 .690196 RG" in content  # the MTTR line's colour
    assert b"(10) Tj" in content and b"(13) Tj" in content  # one category per day resolved
    assert b"No outage resolved" not in content
    empty = client_as(operator).get("/api/v1/reports/sla", {"month": "2025-06", "format": "pdf"})
    assert b"No outage resolved in this month." in pdf_content(empty.content)


def test_monthly_job_keeps_the_previous_month(organization, other_organization, operator_context):
    make_resolved(
        organization, operator_context, minutes=25, detected=datetime(2026, 1, 10, tzinfo=UTC)
    )
    reports = services.generate_monthly_reports(today=date(2026, 2, 1))
    assert {r.month for r in reports} == {date(2026, 1, 1)}
    mine = SlaReport.objects.get(organization=organization)
    assert mine.data["penalties"] == 1000.0
    assert SlaReport.objects.get(organization=other_organization).data["outages_resolved"] == 0
    services.generate_monthly_reports(today=date(2026, 2, 1))
    assert SlaReport.objects.count() == 2


# --- Event stream --------------------------------------------------------------------------


def test_outage_events_are_published_on_the_event_stream(organization, operator_context):
    from core.models import DomainEvent

    outage = services.create_outage(
        organization=organization, site_name="S", severity="low", context=operator_context
    )
    event = DomainEvent.objects.get(name="outage.created")
    assert event.subject == f"outage:{outage.public_id}"
    assert event.organization_id == organization.pk
    assert event.data["outage_id"] == outage.public_id and event.data["severity"] == "low"
