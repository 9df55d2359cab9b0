"""The SIM inventory API on the mirror (no upstream call involved)."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditLog, Role
from core.identifiers import iccid_with_luhn
from core.models import Job, JobStatus
from core.tests.api import (
    ListObjectsCases,
    NestedListObjectsCases,
    ReadOnlyAPICases,
    assert_error_envelope,
)
from sims.models import (
    EventCategory,
    EventSource,
    EventType,
    Order,
    OrderStatus,
    SimEvent,
    SimStatus,
)
from sims.services.events import EVENTS_FRESH_KEY
from sims.tests.factories import SimFactory

pytestmark = pytest.mark.django_db


class TestSimAPI(ReadOnlyAPICases):
    url_name = "sims-api:sim"
    lookup_field = lookup_url_kwarg = "iccid"
    list_queries = 2  # the count, the page

    def make_object(self, organization):
        return SimFactory(organization=organization)

    def test_detail_has_every_seed_field(self, member, obj):
        data = self.client_as(member).get(self.detail_url(obj)).json()["data"]
        seed_fields = [
            *("iccid", "imsi", "msisdn", "status", "label", "ip_address", "ipv6_address"),
            *("imei", "imei_lock", "organization_id", "current_rat", "current_country"),
            *("current_operator", "activation_date", "tags", "metadata", "created_at"),
            *("updated_at", "last_synced_at"),
        ]
        assert set(seed_fields) <= set(data)

    def test_detail_by_20_digit_form(self, member, obj):
        response = self.client_as(member).get(f"/api/v1/sims/{iccid_with_luhn(obj.iccid)}")
        assert response.json()["data"]["iccid"] == obj.iccid

    @pytest.mark.parametrize("bad", ["123", "898822800000000000x", "89882280000000000019"])
    def test_malformed_iccid_is_400(self, member, obj, bad):
        response = self.client_as(member).get(f"/api/v1/sims/{bad}")
        assert response.status_code == 400
        assert_error_envelope(response.json(), "INVALID_ICCID")

    def test_unknown_iccid_is_404(self, member):
        response = self.client_as(member).get("/api/v1/sims/8988228000999999999")
        assert response.status_code == 404


class TestOrderList(ListObjectsCases):
    url_name = "sims-api:order"
    list_queries = 2  # the count, the page

    def make_object(self, organization):
        return Order.objects.create(
            organization=organization, status=OrderStatus.PLACED, order_number="1"
        )


class TestSimEventList(NestedListObjectsCases):
    list_queries = 3  # the SIM, the count, the page

    def make_objects(self, organization, count):
        sim = SimFactory(organization=organization)
        # 1NCE's events count as fresh: this list is about our stored history.
        cache.set(EVENTS_FRESH_KEY.format(sim.pk), 1, timeout=None)
        return [
            SimEvent.objects.create(
                sim=sim,
                organization=organization,
                event_type=EventType.SIM_ACTIVATED,
                category=EventCategory.LIFECYCLE,
                source=EventSource.FLEETOPS,
                occurred_at=timezone.now(),
            )
            for _ in range(count)
        ]

    def list_url(self, objects=()):
        return reverse("sims-api:sim-events", kwargs={"iccid": objects[0].sim.iccid})


@pytest.fixture
def fleet(organization, other_organization):
    return {
        "a": SimFactory(organization=organization, label="Pump A", tags=["prod", "iot"]),
        "b": SimFactory(organization=organization, label="Meter B", status=SimStatus.DISABLED),
        "c": SimFactory(organization=organization, label="Pump C", tags=["prod"]),
        "x": SimFactory(organization=other_organization, label="Pump X"),
    }


def labels(response):
    return [row["label"] for row in response.json()["data"]]


def test_filter_by_status(operator_client, fleet):
    assert labels(operator_client.get("/api/v1/sims?status=Disabled")) == ["Meter B"]


def test_filter_by_tags_needs_every_tag(operator_client, fleet):
    response = operator_client.get("/api/v1/sims?tags=prod,iot&sort_by=label&sort_order=asc")
    assert labels(response) == ["Pump A"]
    response = operator_client.get("/api/v1/sims?tags=prod&sort_by=label&sort_order=asc")
    assert labels(response) == ["Pump A", "Pump C"]


def test_search_by_label_and_identifier_prefix(operator_client, fleet):
    response = operator_client.get("/api/v1/sims?search=pump&sort_by=label&sort_order=asc")
    assert labels(response) == ["Pump A", "Pump C"]
    imsi = fleet["b"].imsi
    assert labels(operator_client.get(f"/api/v1/sims?search={imsi}")) == ["Meter B"]


def test_sort_by_label(operator_client, fleet):
    response = operator_client.get("/api/v1/sims?sort_by=label&sort_order=desc")
    assert labels(response) == ["Pump C", "Pump A", "Meter B"]


def test_unknown_sort_field_is_422(operator_client, fleet):
    response = operator_client.get("/api/v1/sims?sort_by=secret")
    assert response.status_code == 422
    assert response.json()["error"]["details"]["errors"][0]["loc"] == ["sort_by"]


def test_superuser_filters_by_organization(fleet, other_organization, client_for):
    root = client_for(Role.ADMIN, is_superuser=True)
    response = root.get(f"/api/v1/sims?organization_id={other_organization.pk}")
    assert labels(response) == ["Pump X"]


def test_local_fields_change_without_upstream_and_are_audited(operator_client, fleet):
    sim = fleet["a"]
    response = operator_client.patch(
        f"/api/v1/sims/{sim.iccid}", {"tags": ["b", "a", "a"], "metadata": {"site": "north"}}
    )
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert data["tags"] == ["a", "b"]
    assert data["metadata"] == {"site": "north"}
    audit = AuditLog.objects.get(resource_type="sim", resource_id=sim.iccid)
    assert audit.request_body["before"]["tags"] == ["prod", "iot"]
    event = SimEvent.objects.get(sim=sim)
    assert event.event_type == EventType.CONFIGURATION_CHANGED


def test_write_invalidates_cached_detail_and_list(
    operator_client, fleet, django_capture_on_commit_callbacks
):
    sim = fleet["a"]
    assert operator_client.get(f"/api/v1/sims/{sim.iccid}").json()["data"]["metadata"] == {}
    assert "Pump A" in labels(operator_client.get("/api/v1/sims?tags=iot"))
    with django_capture_on_commit_callbacks(execute=True):
        operator_client.patch(f"/api/v1/sims/{sim.iccid}", {"tags": ["x"], "metadata": {"k": 1}})
    assert operator_client.get(f"/api/v1/sims/{sim.iccid}").json()["data"]["metadata"] == {"k": 1}
    assert labels(operator_client.get("/api/v1/sims?tags=iot")) == []


def test_bad_changes_are_422_and_change_nothing(operator_client, fleet):
    sim = fleet["a"]
    for body in ({"status": "Exploded"}, {"tags": ["bad tag!"]}, {}, {"label": "x" * 201}):
        response = operator_client.patch(f"/api/v1/sims/{sim.iccid}", body, format="json")
        assert response.status_code == 422, body
    sim.refresh_from_db()
    assert (sim.label, sim.tags) == ("Pump A", ["prod", "iot"])


def test_viewer_cannot_change_a_sim(viewer_client, fleet):
    response = viewer_client.patch(f"/api/v1/sims/{fleet['a'].iccid}", {"tags": ["x"]})
    assert response.status_code == 403


def test_foreign_sim_is_404_for_every_operation(operator_client, fleet):
    iccid = fleet["x"].iccid
    for method, suffix in [
        ("get", ""),
        ("patch", ""),
        ("get", "/status"),
        ("get", "/events"),
        ("get", "/limits"),
        ("post", "/reset"),
        ("post", "/sync"),
    ]:
        body = {"tags": []} if method == "patch" else {}  # /sync takes no body: 422 before all
        response = getattr(operator_client, method)(f"/api/v1/sims/{iccid}{suffix}", body)
        assert response.status_code == 404, (method, suffix)


def test_status_details(operator_client, fleet):
    data = operator_client.get(f"/api/v1/sims/{fleet['b'].iccid}/status").json()["data"]
    assert data["status"] == "Disabled"
    assert data["status_details"]["is_active"] is False
    assert data["status_details"]["is_suspended"] is True


def test_global_limits_round_trip(operator_client, organization):
    body = {
        "daily_data_limit": 10485760,
        "monthly_data_limit": 314572800,
        "daily_sms_limit": 100,
        "monthly_sms_limit": 1000,
        "enforce_limits": True,
    }
    response = operator_client.post("/api/v1/sims/limits", body)
    assert response.status_code == 200
    data = operator_client.get("/api/v1/sims/limits").json()["data"]
    assert {k: data[k] for k in body} == body
    assert data["updated_at"]


def test_limits_validation(operator_client, organization):
    response = operator_client.post(
        "/api/v1/sims/limits", {"daily_data_limit": 10, "monthly_data_limit": 5}
    )
    assert response.status_code == 422
    assert operator_client.post("/api/v1/sims/limits", {"daily_sms_limit": -1}).status_code == 422


def test_sim_limits_override_global(operator_client, fleet):
    operator_client.post("/api/v1/sims/limits", {"daily_sms_limit": 100, "monthly_sms_limit": 900})
    sim = fleet["a"]
    response = operator_client.put(
        f"/api/v1/sims/{sim.iccid}/limits",
        {"daily_sms_limit": 5, "sms_blocked_destinations": ["4915"]},
        format="json",
    )
    assert response.status_code == 200, response.content
    effective = response.json()["data"]["effective"]
    assert effective["daily_sms_limit"] == 5
    assert effective["monthly_sms_limit"] == 900
    assert effective["sms_blocked_destinations"] == ["4915"]


def test_viewer_cannot_set_limits(viewer_client, organization):
    assert viewer_client.post("/api/v1/sims/limits", {"daily_sms_limit": 1}).status_code == 403


def test_job_list_route_is_not_a_sim(operator_client):
    assert reverse("sims-api:sim-sync-all") == "/api/v1/sims/sync-all"


@pytest.mark.django_db
def test_sync_all_answers_the_queued_job_instead_of_queuing_another(
    operator_client, organization, settings, celery_broker
):
    settings.ONENCE_DEFAULT_ORGANIZATION = organization.slug
    first = operator_client.post("/api/v1/sims/sync-all")
    again = operator_client.post("/api/v1/sims/sync-all")
    assert first.status_code == again.status_code == 202
    assert again.json()["data"]["job_id"] == first.json()["data"]["job_id"]
    assert Job.objects.filter(kind="sims.sync_all").count() == 1
    job_id = first.json()["data"]["job_id"]
    assert celery_broker.queued() == [("sims.tasks.sync_organization_job", [job_id])]


@pytest.mark.django_db
def test_sync_all_queues_anew_once_the_previous_job_finished_or_was_lost(
    operator_client, organization, settings, celery_broker
):
    settings.ONENCE_DEFAULT_ORGANIZATION = organization.slug
    first = operator_client.post("/api/v1/sims/sync-all").json()["data"]["job_id"]
    Job.objects.filter(pk=first).update(status=JobStatus.COMPLETED)
    second = operator_client.post("/api/v1/sims/sync-all").json()["data"]["job_id"]
    lost = timezone.now() - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 1)
    Job.objects.filter(pk=second).update(created_at=lost)
    third = operator_client.post("/api/v1/sims/sync-all").json()["data"]["job_id"]
    assert len({first, second, third}) == 3
