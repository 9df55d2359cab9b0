"""Seed 004's outage endpoints: shapes, filters, offsets, transitions, tenancy, query counts."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Role
from accounts.tests.factories import OrganizationFactory, UserFactory
from core.context import Context
from core.tests.api import (
    GetObjectCases,
    ListObjectsCases,
    assert_error_envelope,
    assert_success_envelope,
)
from outages import services
from outages.analytics import GROUPS
from outages.demo import SEED_POST_BODY
from outages.filters import REPORT_FORMATS
from outages.models import (
    Outage,
    OutageEvent,
    OutageSequence,
    Severity,
    SlaResult,
    TimelineEntry,
)
from outages.tests.factories import OutageFactory

pytestmark = pytest.mark.django_db
LIST = "/api/v1/outages"


def client_as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def detail(outage_id: str) -> str:
    return f"{LIST}/{outage_id}"


class TestOutageEndpoints(GetObjectCases, ListObjectsCases):
    url_name = "outages-api:outage"
    lookup_field = "public_id"
    lookup_url_kwarg = "outage_id"
    list_queries = 3  # count, page (rows with assignee and SLA result), SLA terms

    def make_object(self, organization):
        return OutageFactory(organization=organization)

    def ids_of(self, objects) -> set[str]:
        return {o.public_id for o in objects}


SEED_CREATE = SEED_POST_BODY  # seed 004's request, as written


def test_seed_create_answers_201_and_numbers_per_organization(operator, organization):
    client = client_as(operator)
    response = client.post(LIST, SEED_CREATE, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert_success_envelope(body)
    data = body["data"]
    assert data["id"] == "OUT000001"
    assert data["status"] == "active"
    assert data["site_name"] == "Cell Tower Beta"
    assert data["message"] == "Outage created successfully"
    assert client.post(LIST, SEED_CREATE, format="json").json()["data"]["id"] == "OUT000002"

    outage = Outage.objects.get(organization=organization, number=1)
    assert outage.assigned_to == operator
    assert str(outage.latitude) == "9.082000"
    timeline = list(outage.timeline.values_list("event", "actor_name"))
    assert timeline == [("Outage detected", "user123"), ("Assigned to user123", "user123")]
    kinds = set(OutageEvent.objects.filter(outage=outage).values_list("kind", flat=True))
    assert kinds == {"outage.created", "outage.assigned"}


def test_numbers_are_per_organization(operator, other_organization):
    stranger = UserFactory(organization=other_organization, role=Role.OPERATOR)
    body = {k: v for k, v in SEED_CREATE.items() if k != "assigned_to"}
    assert client_as(operator).post(LIST, body, format="json").json()["data"]["id"] == "OUT000001"
    assert client_as(stranger).post(LIST, body, format="json").json()["data"]["id"] == "OUT000001"
    assert OutageSequence.objects.count() == 2


def test_invalid_severity_answers_seed_error_and_writes_nothing(operator):
    response = client_as(operator).post(LIST, {**SEED_CREATE, "severity": "urgent"}, format="json")
    assert response.status_code == 422
    body = response.json()
    assert_error_envelope(body, "VALIDATION_ERROR")
    assert body["error"]["message"] == "Invalid outage severity level"
    assert body["error"]["details"]["field"] == "severity"
    assert body["error"]["details"]["allowed_values"] == ["critical", "high", "medium", "low"]
    assert not Outage.objects.exists()


@pytest.mark.parametrize(
    ("location", "field"),
    [
        ({"latitude": 91, "longitude": 0}, "location"),
        ({"latitude": 0, "longitude": -181}, "location"),
    ],
)
def test_location_is_validated(operator, location, field):
    response = client_as(operator).post(LIST, {**SEED_CREATE, "location": location}, format="json")
    assert response.status_code == 422
    assert response.json()["error"]["details"]["field"] == field


def test_assignee_of_another_organization_is_refused(operator, other_organization):
    UserFactory(organization=other_organization, username="foreigner")
    response = client_as(operator).post(
        LIST, {**SEED_CREATE, "assigned_to": "foreigner"}, format="json"
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"]["field"] == "assigned_to"
    assert not Outage.objects.exists()


def test_list_filters_and_offsets(operator, organization):
    now = timezone.now()
    for i in range(5):
        OutageFactory(
            organization=organization, severity="critical", detected_at=now - timedelta(hours=i)
        )
    OutageFactory(organization=organization, severity="low")
    OutageFactory(organization=organization, severity="critical", status="investigating")
    OutageFactory(
        organization=organization,
        severity="critical",
        site_name="Cell Tower Alpha",
        detected_at=now - timedelta(days=10),
    )
    client = client_as(operator)

    body = client.get(
        LIST, {"severity": "critical", "status": "active", "limit": 2, "offset": 2}
    ).json()
    assert body["pagination"]["total"] == 6
    assert [row["severity"] for row in body["data"]] == ["critical", "critical"]
    assert body["pagination"]["next_offset"] == 4
    assert body["pagination"]["previous_offset"] == 0
    assert body["pagination"]["limit"] == 2 and body["pagination"]["offset"] == 2
    last = client.get(
        LIST, {"severity": "critical", "status": "active", "limit": 2, "offset": 4}
    ).json()
    assert last["pagination"]["next_offset"] is None
    first = client.get(LIST, {"limit": 2}).json()
    assert first["pagination"]["previous_offset"] is None

    assert client.get(LIST, {"site_name": "Cell Tower Alpha"}).json()["pagination"]["total"] == 1
    since = (now - timedelta(days=1)).isoformat()
    assert client.get(LIST, {"start_date": since}).json()["pagination"]["total"] == 7
    until = (now - timedelta(days=5)).isoformat()
    assert client.get(LIST, {"end_date": until}).json()["pagination"]["total"] == 1

    row = body["data"][0]
    assert row["sla_status"]["status"] == "in_progress"
    assert row["sla_status"]["threshold_minutes"] == 15
    assert row["sla_status"]["mttr_minutes"] is None


def test_list_is_newest_first(operator, organization):
    now = timezone.now()
    old = OutageFactory(organization=organization, detected_at=now - timedelta(hours=2))
    new = OutageFactory(organization=organization, detected_at=now - timedelta(minutes=1))
    ids = [r["id"] for r in client_as(operator).get(LIST).json()["data"]]
    assert ids == [new.public_id, old.public_id]


def test_bad_filter_answers_field_and_allowed_values(operator):
    response = client_as(operator).get(LIST, {"status": "closed"})
    assert response.status_code == 422
    details = response.json()["error"]["details"]
    assert details["field"] == "status"
    assert details["allowed_values"] == ["active", "investigating", "resolved"]


@pytest.mark.parametrize(
    ("url", "parameter", "message", "allowed"),
    [
        (LIST, "severity", "Invalid severity: Unknown value 'bogus'; use one of: ", Severity),
        ("/api/v1/analytics/mttr", "severity", "Invalid outage severity level", Severity),
        ("/api/v1/analytics/mttr", "group_by", "Invalid group_by", GROUPS),
        ("/api/v1/reports/sla", "format", "Unknown format", REPORT_FORMATS),
    ],
)
def test_a_bad_choice_parameter_answers_seed_error_listing_its_values(
    operator, url, parameter, message, allowed
):
    """Seed 004's message and details (field, allowed_values), and the field error worded as
    every list words it: the value refused and the values taken."""
    response = client_as(operator).get(url, {parameter: "bogus"})
    assert response.status_code == 422, response.content
    body = response.json()
    assert_error_envelope(body, "VALIDATION_ERROR")
    values = [str(value) for value in allowed]
    assert body["error"]["message"].startswith(message)
    assert body["error"]["details"]["field"] == parameter
    assert body["error"]["details"]["allowed_values"] == values
    [error] = body["error"]["details"]["errors"]
    assert error["loc"] == [parameter]
    assert error["msg"] == f"Unknown value 'bogus'; use one of: {', '.join(values)}."


def test_running_outage_shows_time_remaining(operator, organization):
    outage = OutageFactory(
        organization=organization, detected_at=timezone.now() - timedelta(minutes=3, seconds=5)
    )
    data = client_as(operator).get(detail(outage.public_id)).json()["data"]
    assert data["sla_status"]["time_remaining_minutes"] == 12
    assert data["sla_status"]["elapsed_minutes"] == 3
    assert data["stellar_payment"] is None
    assert data["created_by"] == "system"


def resolve(client, outage_id, **extra):
    return client.put(detail(outage_id), {"status": "resolved", **extra}, format="json")


def test_seed_put_resolves_evaluates_and_answers_sla_triggered(
    operator, organization, operator_context
):
    detected = timezone.now() - timedelta(minutes=40)
    outage = services.create_outage(
        organization=organization,
        site_name="Cell Tower Alpha",
        severity="critical",
        detected_at=detected,
        context=operator_context,
    )
    resolved_at = (detected + timedelta(minutes=25)).isoformat()
    response = resolve(
        client_as(operator),
        outage.public_id,
        resolved_at=resolved_at,
        root_cause="Fiber cut",
        resolution_notes="Fiber repaired, services restored",
    )
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert data["id"] == outage.public_id
    assert data["status"] == "resolved"
    assert data["message"] == "Outage updated successfully"
    assert data["sla_triggered"] is True
    assert data["sla_status"]["status"] == "violated"
    assert data["sla_status"]["penalty_amount"] == 1000.0

    shown = client_as(operator).get(detail(outage.public_id)).json()["data"]
    assert shown["root_cause"] == "Fiber cut"
    assert shown["mttr_minutes"] == 25
    assert shown["sla_status"]["smart_contract_invoked"] is False
    events = [e["event"] for e in shown["timeline"]]
    assert events[0] == "Outage detected"
    assert "Outage resolved" in events
    assert any(e.startswith("SLA violated") for e in events)
    assert [set(e) >= {"timestamp", "event", "user"} for e in shown["timeline"]] == [True] * len(
        events
    )


def test_resolve_without_time_uses_now(operator, organization):
    outage = OutageFactory(
        organization=organization, detected_at=timezone.now() - timedelta(minutes=5)
    )
    before = timezone.now()
    assert resolve(client_as(operator), outage.public_id).status_code == 200
    outage.refresh_from_db()
    assert before <= outage.resolved_at <= timezone.now()
    assert outage.mttr_minutes == 5
    assert outage.sla_met is True


@pytest.mark.parametrize(
    ("offset", "message"),
    [(timedelta(minutes=-1), "before detected_at"), (timedelta(hours=2), "in the future")],
)
def test_resolved_at_must_follow_detection_and_not_be_future(
    operator, organization, offset, message
):
    detected = timezone.now() - timedelta(minutes=30)
    outage = OutageFactory(organization=organization, detected_at=detected)
    at = (detected + offset if offset.total_seconds() < 0 else timezone.now() + offset).isoformat()
    response = resolve(client_as(operator), outage.public_id, resolved_at=at)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["details"]["field"] == "resolved_at"
    assert message in error["message"]
    outage.refresh_from_db()
    assert outage.status == "active" and outage.resolved_at is None
    assert not SlaResult.objects.exists()


def test_resolved_outage_keeps_its_severity(operator, organization):
    outage = OutageFactory(
        organization=organization, detected_at=timezone.now() - timedelta(minutes=5)
    )
    resolve(client_as(operator), outage.public_id)
    response = client_as(operator).put(detail(outage.public_id), {"severity": "low"}, format="json")
    assert response.status_code == 422
    assert response.json()["error"]["details"]["field"] == "severity"
    outage.refresh_from_db()
    assert outage.severity == "critical"


def test_only_an_admin_reopens_on_the_timeline(operator, admin, organization):
    outage = OutageFactory(
        organization=organization, detected_at=timezone.now() - timedelta(minutes=5)
    )
    resolve(client_as(operator), outage.public_id)
    refused = client_as(operator).put(detail(outage.public_id), {"status": "active"}, format="json")
    assert refused.status_code == 403
    outage.refresh_from_db()
    assert outage.status == "resolved"

    response = client_as(admin).put(
        detail(outage.public_id), {"status": "investigating"}, format="json"
    )
    assert response.status_code == 200, response.content
    outage.refresh_from_db()
    assert outage.status == "investigating" and outage.resolved_at is None
    entry = TimelineEntry.objects.filter(outage=outage, kind="reopened").get()
    assert entry.actor_name == "noc-admin"
    # Resolving again keeps the SLA result recorded first: no second result.
    assert resolve(client_as(operator), outage.public_id).json()["data"]["sla_triggered"] is False
    assert SlaResult.objects.filter(outage=outage).count() == 1


def test_status_change_and_assignment_go_on_the_timeline(operator, organization):
    outage = OutageFactory(organization=organization)
    response = client_as(operator).put(
        detail(outage.public_id),
        {"status": "investigating", "assigned_to": "user123"},
        format="json",
    )
    assert response.status_code == 200
    kinds = list(TimelineEntry.objects.filter(outage=outage).values_list("kind", flat=True))
    assert kinds == ["assigned", "status_changed"]


def test_another_organizations_outage_is_404_everywhere(operator, other_organization):
    theirs = OutageFactory(organization=other_organization, number=1)
    client = client_as(operator)
    assert client.get(detail(theirs.public_id)).status_code == 404
    assert (
        client.put(detail(theirs.public_id), {"status": "resolved"}, format="json").status_code
        == 404
    )
    assert client.get(f"/api/v1/sla/status/{theirs.public_id}").status_code == 404
    assert (
        client.post(
            "/api/v1/sla/calculate", {"outage_id": theirs.public_id}, format="json"
        ).status_code
        == 404
    )
    assert client.get(f"{detail(theirs.public_id)}/rca").status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "active"


def test_service_numbers_outages_in_sequence(organization, operator_context):
    ids = [
        services.create_outage(
            organization=organization, site_name="S", severity="low", context=operator_context
        ).public_id
        for _ in range(3)
    ]
    assert ids == ["OUT000001", "OUT000002", "OUT000003"]


def test_reverse_names():
    assert reverse("outages-api:outage-list") == LIST


@pytest.mark.parametrize(
    "params",
    [
        {"start_date": "0200-06-13T05:47:50+18:47"},  # an offset PostgreSQL refuses
        {"end_date": "0001-01-01T00:00:00+05:00"},  # before year 1 in UTC
        {"start_date": "yesterday"},
    ],
)
def test_odd_dates_answer_422_or_convert_to_utc(operator, params):
    response = client_as(operator).get(LIST, params)
    assert response.status_code in (200, 422), response.content
    if response.status_code == 422:
        assert response.json()["error"]["details"]["field"] in params


def test_offset_dates_filter_in_utc(operator, organization):
    outage = OutageFactory(organization=organization)
    since = (outage.detected_at - timedelta(minutes=1)).astimezone(
        timezone.get_fixed_timezone(18 * 60 + 47)
    )
    response = client_as(operator).get(LIST, {"start_date": since.isoformat()})
    assert response.json()["pagination"]["total"] == 1


def test_non_finite_location_is_refused(operator):
    body = '{"site_name": "S", "severity": "low", "location": {"latitude": NaN, "longitude": 0}}'
    response = client_as(operator).post(LIST, body, content_type="application/json")
    assert response.status_code in (400, 422)
    assert not Outage.objects.exists()


@pytest.mark.parametrize("month", ["9999-12", "0000-01", "2026-1x"])
def test_report_month_out_of_range_is_422(operator, month):
    response = client_as(operator).get("/api/v1/reports/sla", {"month": month})
    assert response.status_code == 422
    assert response.json()["error"]["details"]["field"] == "month"


def test_mttr_with_an_end_at_the_start_of_time(operator):
    response = client_as(operator).get("/api/v1/analytics/mttr", {"end_date": "0001-01-01"})
    assert response.status_code == 200, response.content


def test_moving_detection_leaves_what_it_was_on_the_timeline(operator, organization):
    """MTTR is derived from the timestamps: whoever moves detected_at (here later, which
    would shorten the MTTR) leaves the old and new value on the timeline."""
    before = timezone.now() - timedelta(minutes=40)
    outage = OutageFactory(organization=organization, detected_at=before)
    later = before + timedelta(minutes=30)
    response = client_as(operator).put(
        detail(outage.public_id), {"detected_at": later.isoformat()}, format="json"
    )
    assert response.status_code == 200, response.content
    entry = TimelineEntry.objects.get(outage=outage, kind="timestamp_corrected")
    assert entry.details["from"] == before.isoformat()
    assert entry.details["to"] == later.isoformat()
    assert entry.actor_name == "user123"
    assert f"{before:%Y-%m-%d %H:%M:%S}" in entry.event


def test_a_severity_change_keeps_what_it_was_on_the_timeline(operator, organization):
    outage = OutageFactory(organization=organization, severity="critical")
    response = client_as(operator).put(detail(outage.public_id), {"severity": "low"}, format="json")
    assert response.status_code == 200, response.content
    entry = TimelineEntry.objects.get(outage=outage, kind="updated")
    assert entry.details["severity"] == {"from": "critical", "to": "low"}
    assert "critical to low" in entry.event


def test_a_platform_superuser_sees_each_organizations_own_sla_terms(organization):
    """The list reads terms an organization at a time (``TermsInForce``): a page spanning two
    organizations shows each row with its own organization's threshold."""
    other = OrganizationFactory()
    services.change_sla_config(
        organization=other,
        severity=Severity.CRITICAL,
        changes={"threshold_minutes": 45},
        context=Context.system(via="test"),
    )
    mine = OutageFactory(organization=organization)
    theirs = OutageFactory(organization=other)
    superuser = UserFactory(organization=None, is_superuser=True, is_staff=True)
    rows = client_as(superuser).get(LIST).json()["data"]
    thresholds = {row["id"]: row["sla_status"]["threshold_minutes"] for row in rows}
    versions = {row["id"]: row["sla_status"]["config_version"] for row in rows}
    assert thresholds[mine.public_id] == 15 and versions[mine.public_id] == 1
    assert thresholds[theirs.public_id] == 45 and versions[theirs.public_id] == 2
