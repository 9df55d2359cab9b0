"""SIM operations through our real 1NCE client against the simulator over HTTP."""

import time

import pytest

from core.context import SYSTEM
from core.models import Job, JobStatus
from core.tests.api import assert_job_accepted
from sims.models import EventSource, EventType, Sim, SimEvent
from sims.services.sync import sync_organization

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def fleet(onence_simulator, organization):
    iccids = onence_simulator.seed_fleet(sims=12, days=3)
    sync_organization(organization=organization)
    return iccids


def test_sync_creates_the_mirror(fleet, organization):
    sims = Sim.objects.filter(organization=organization)
    assert sims.count() == 12
    sim = sims.get(iccid=fleet[0])
    assert sim.last_synced_at is not None
    assert len(sim.iccid_with_luhn) == 20
    assert sim.imsi and sim.msisdn


def test_sync_updates_and_records_status_changes(fleet, organization, onence_simulator):
    from simulators.onence.models import OnenceSim

    OnenceSim.objects.filter(iccid=fleet[0]).update(status="Disabled", label="Renamed upstream")
    result = sync_organization(organization=organization)
    assert (result.created, result.updated, result.status_changes) == (0, 12, 1)
    sim = Sim.objects.get(iccid=fleet[0])
    assert (sim.status, sim.label) == ("Disabled", "Renamed upstream")
    assert SimEvent.objects.get(sim=sim).event_type == EventType.SIM_SUSPENDED


def test_sync_flags_sims_that_vanished_upstream(fleet, organization):
    from simulators.onence.models import OnenceSim

    OnenceSim.objects.filter(iccid=fleet[-1]).delete()
    result = sync_organization(organization=organization)
    assert result.missing == 1
    assert Sim.objects.get(iccid=fleet[-1]).missing_upstream_since is not None


def test_interrupted_sync_marks_nothing_missing_and_the_next_run_finishes(
    onence_simulator, organization, settings
):
    onence_simulator.seed_fleet(sims=250, days=1)

    def die_after_first_page(count, total):
        raise KeyboardInterrupt  # the worker is killed after one page

    with pytest.raises(KeyboardInterrupt):
        sync_organization(organization=organization, progress=die_after_first_page)
    assert Sim.objects.filter(organization=organization).count() == 100
    assert not Sim.objects.filter(missing_upstream_since__isnull=False).exists()

    result = sync_organization(organization=organization)
    assert result.complete
    assert Sim.objects.filter(organization=organization).count() == 250
    assert result.missing == 0


def test_label_change_goes_to_1nce_first(fleet, operator_client, onence_simulator):
    response = operator_client.put(
        f"/api/v1/sims/{fleet[0]}", {"label": "Field unit 7", "imei_lock": True}, format="json"
    )
    assert response.status_code == 200, response.content
    upstream = onence_simulator.get_sim(fleet[0])
    assert (upstream["label"], upstream["imei_lock"]) == ("Field unit 7", True)
    assert Sim.objects.get(iccid=fleet[0]).label == "Field unit 7"


@pytest.mark.parametrize(
    ("fault", "status", "code"),
    [
        ({"error_rate": 1.0, "error_status": 503}, 503, "SERVICE_UNAVAILABLE"),
        ({"error_rate": 1.0, "error_status": 400}, 502, "UPSTREAM_ERROR"),
        ({"hang_seconds": 2}, 504, "GATEWAY_TIMEOUT"),
    ],
)
def test_upstream_failure_leaves_the_mirror_unchanged(
    fleet, operator_client, onence_simulator, settings, fault, status, code
):
    settings.UPSTREAM_READ_TIMEOUT = 1.0
    settings.UPSTREAM_MAX_RETRIES = 0
    before = Sim.objects.get(iccid=fleet[0])
    onence_simulator.set_faults(paths="/sims/", **fault)
    response = operator_client.patch(f"/api/v1/sims/{fleet[0]}", {"label": "Never"})
    onence_simulator.clear_faults()
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code
    after = Sim.objects.get(iccid=fleet[0])
    assert (after.label, after.updated_at) == (before.label, before.updated_at)
    assert not SimEvent.objects.filter(sim=after).exists()
    if "hang_seconds" in fault:  # let the held call end here, not in a later test's request log
        deadline = time.monotonic() + 10
        while not onence_simulator.requests_received(path_contains=fleet[0], method="PUT"):
            assert time.monotonic() < deadline, "the simulator never answered the held call"
            time.sleep(0.1)


def test_sync_one_sim_now(fleet, operator_client):
    from simulators.onence.models import OnenceSim

    OnenceSim.objects.filter(iccid=fleet[1]).update(label="Fresh")
    response = operator_client.post(f"/api/v1/sims/{fleet[1]}/sync")
    assert response.status_code == 200
    assert response.json()["data"]["label"] == "Fresh"


def test_sync_all_runs_as_a_job(fleet, operator_client):
    response = operator_client.post("/api/v1/sims/sync-all")
    body = assert_job_accepted(response, total=1)
    job = Job.objects.get(pk=body["job_id"])
    assert job.status == JobStatus.COMPLETED
    detail = operator_client.get(body["status_url"]).json()["data"]
    assert detail["results"][0]["result"]["seen"] == 12


def test_connectivity_is_live_then_stale_when_1nce_is_down(
    fleet, operator_client, onence_simulator, settings
):
    settings.UPSTREAM_MAX_RETRIES = 0
    onence_simulator.set_connectivity(fleet[0], "ONLINE")
    live = operator_client.get(f"/api/v1/sims/{fleet[0]}/connectivity").json()["data"]
    assert live["stale"] is False
    assert set(live["connection_details"]) >= {"rat", "operator_name", "mcc", "mnc", "apn"}

    from django.core.cache import cache

    cache.clear()  # past the 30 s cache
    onence_simulator.set_faults(error_rate=1.0, error_status=503, paths="/status")
    stale = operator_client.get(f"/api/v1/sims/{fleet[0]}/connectivity").json()["data"]
    assert stale["stale"] is True
    assert stale["connected"] == live["connected"]
    assert stale["age_seconds"] >= 0


def test_connectivity_without_snapshot_and_1nce_down_is_503(
    fleet, operator_client, onence_simulator, settings
):
    settings.UPSTREAM_MAX_RETRIES = 0
    onence_simulator.set_faults(error_rate=1.0, error_status=503, paths="/status")
    response = operator_client.get(f"/api/v1/sims/{fleet[0]}/connectivity")
    assert response.status_code == 503


def test_reset_is_accepted_and_tracked(fleet, operator_client, onence_simulator):
    response = operator_client.post(f"/api/v1/sims/{fleet[0]}/reset", {"reset_type": "soft"})
    assert response.status_code == 202, response.content
    data = response.json()["data"]
    assert data["status_url"] == f"/api/v1/sims/{fleet[0]}/reset/status"
    assert data["expected_completion"]
    assert onence_simulator.requests_received(path_contains="/reset", method="POST")
    status = operator_client.get(data["status_url"]).json()["data"]
    assert status["status"] in {"pending", "completed"}
    legacy = operator_client.post(f"/api/v1/sims/{fleet[0]}/connectivity/reset")
    assert legacy.status_code == 202


def test_events_merge_1nce_and_ours(fleet, operator_client):
    operator_client.patch(f"/api/v1/sims/{fleet[0]}", {"tags": ["x"]})
    data = operator_client.get(f"/api/v1/sims/{fleet[0]}/events").json()
    sources = {event["source"] for event in data["data"]}
    assert EventSource.FLEETOPS in sources
    assert data["pagination"]["total"] == len(data["data"])
    only = operator_client.get(
        f"/api/v1/sims/{fleet[0]}/events?event_type=configuration_changed"
    ).json()["data"]
    assert [e["event_type"] for e in only] == ["configuration_changed"]


def test_bulk_configure_reports_each_sim(fleet, operator_client, other_organization):
    from sims.tests.factories import SimFactory

    foreign = SimFactory(organization=other_organization)
    response = operator_client.post(
        "/api/v1/sims",
        {
            "sims": [
                {"iccid": fleet[0], "label": "One"},
                {"iccid": "123", "label": "bad"},
                {"iccid": foreign.iccid, "label": "not yours"},
                {"iccid": "8988228000999999999", "label": "unknown"},
            ]
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert (data["updated"], data["failed"]) == (1, 3)
    assert [s["status"] for s in data["sims"]] == ["updated", "failed", "failed", "failed"]
    assert Sim.objects.get(iccid=fleet[0]).label == "One"
    foreign.refresh_from_db()
    assert foreign.label != "not yours"


def test_a_large_bulk_configure_answers_the_job_202(fleet, operator_client):
    items = [{"iccid": fleet[0], "label": f"bulk {i}"} for i in range(51)]
    response = operator_client.post("/api/v1/sims", {"sims": items}, format="json")
    data = assert_job_accepted(response, total=51)
    job = operator_client.get(data["status_url"]).json()["data"]
    assert (job["kind"], job["done"]) == ("sims.configure", 51)
    assert Sim.objects.get(iccid=fleet[0]).label == "bulk 50"


def test_products_and_orders(fleet, operator_client, onence_simulator):
    products = operator_client.get("/api/v1/products").json()["data"]
    assert products
    product = products[0]
    too_many = (product["max_quantity"] or 10**6) + 1
    bad = operator_client.post(
        "/api/v1/orders",
        {"items": [{"product_id": product["id"], "quantity": too_many}]},
        format="json",
    )
    assert bad.status_code == 422
    quantity = product["min_quantity"] or 1
    response = operator_client.post(
        "/api/v1/orders",
        {"items": [{"product_id": product["id"], "quantity": quantity}]},
        format="json",
    )
    assert response.status_code == 201, response.content
    order = response.json()["data"]
    assert order["order_number"]
    assert order["items"][0]["quantity"] == quantity
    listed = operator_client.get("/api/v1/orders").json()["data"]
    assert [o["id"] for o in listed] == [order["id"]]
    detail = operator_client.get(f"/api/v1/orders/{order['id']}").json()["data"]
    assert detail["upstream_status"]


def test_top_up_and_extension_products_are_refused_before_1nce(
    fleet, operator_client, onence_simulator
):
    products = operator_client.get("/api/v1/products").json()["data"]
    refused = [p for p in products if not p["orderable"]]
    assert {p["material"] for p in refused} == {"1NCE Top Up", "1NCE Extension"}
    assert all("SIM" in p["material"] for p in products if p["orderable"])
    for product in refused:
        response = operator_client.post(
            "/api/v1/orders",
            {"items": [{"product_id": product["id"], "quantity": 1}]},
            format="json",
        )
        assert response.status_code == 422, response.content
        error = response.json()["error"]["details"]["errors"][0]
        assert error["loc"] == ["items", 0, "product_id"]
    assert onence_simulator.requests_received(path_contains="/orders", method="POST") == []


def test_rejected_patch_changes_nothing_at_1nce(fleet, operator_client, onence_simulator):
    """Seen in the field: deep metadata answered 500 after 1NCE had disabled the SIM."""
    from accounts.models import AuditLog

    deep = {"a": {"b": {"c": {"d": {"e": {"f": 1}}}}}}
    bodies = [
        {"status": "Disabled", "metadata": deep},
        {"status": "Disabled", "metadata": {"blob": "x" * (16 * 1024)}},
        {"status": "Disabled", "metadata": {"text": "nul\u0000byte"}},
        {"status": "Disabled", "metadata": {"nul\u0000key": 1}},
        {"status": "Disabled", "tags": [f"t{i}" for i in range(51)]},
        {"status": "Disabled", "tags": ["x" * 65]},
    ]
    for body in bodies:
        response = operator_client.patch(f"/api/v1/sims/{fleet[0]}", body, format="json")
        assert response.status_code == 422, (body, response.content)
        loc = response.json()["error"]["details"]["errors"][0]["loc"]
        assert loc[0] in body and loc[0] != "status"
    assert onence_simulator.get_sim(fleet[0])["status"] == "Enabled"
    assert onence_simulator.requests_received(path_contains=fleet[0], method="PUT") == []
    assert onence_simulator.requests_received(path_contains=fleet[0], method="PATCH") == []
    assert Sim.objects.get(iccid=fleet[0]).status == "Enabled"
    assert not AuditLog.objects.filter(resource_id=fleet[0]).exists()

    # At the limits the same change goes through, 1NCE first, and is audited.
    at_limit = {"status": "Disabled", "metadata": {"a": {"b": {"c": {"d": {"e": 1}}}}}}
    response = operator_client.patch(f"/api/v1/sims/{fleet[0]}", at_limit, format="json")
    assert response.status_code == 200, response.content
    assert onence_simulator.get_sim(fleet[0])["status"] == "Disabled"
    assert AuditLog.objects.get(resource_id=fleet[0]).request_body["after"] == at_limit


def test_a_change_1nce_applied_is_audited_even_when_storing_it_fails(
    fleet, onence_simulator, organization
):
    """The service is only called with validated changes; should storing them still fail,
    the audit trail shows what 1NCE now has."""
    from django.db import DataError

    from accounts.models import AuditLog, AuditStatus
    from sims.services import update_sim

    sim = Sim.objects.get(iccid=fleet[0])
    unstorable = {"status": "Disabled", "metadata": {"text": "\u0000"}}  # jsonb refuses NUL
    with pytest.raises(DataError):
        update_sim(sim=sim, changes=unstorable, context=SYSTEM)
    assert onence_simulator.get_sim(fleet[0])["status"] == "Disabled"
    entry = AuditLog.objects.get(resource_id=fleet[0])
    assert entry.status == AuditStatus.FAILED
    assert entry.request_body == {"before": {"status": "Enabled"}, "after": {"status": "Disabled"}}
    assert Sim.objects.get(iccid=fleet[0]).status == "Enabled"
