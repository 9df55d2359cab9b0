"""Top-ups against the 1NCE simulator over HTTP: orders match our records, nothing twice."""

import socket

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import AuditLog
from core.models import Job, JobItem, JobItemStatus, JobStatus
from core.tests.api import assert_job_accepted
from core.tests.waiting import wait_for
from quotas.models import TopUp, TopUpOrder, TopUpOrderStatus, TopUpStatus
from quotas.tasks import reconcile_topups, run_bulk_topup_task
from quotas.tests.conftest import PACKAGE, topup_posts
from sims.models import EventType, SimEvent
from sims.services import onence_client_for
from simulators.onence import testing
from simulators.onence.models import OnenceOrder

pytestmark = pytest.mark.django_db(transaction=True)


def upstream_orders(organization, iccid):
    client = onence_client_for(organization=organization)
    return [o for o in client.list_orders() if iccid in o.iccids and o.order_type == "TOPUP"]


def top_up(client, sim, volume=PACKAGE, quota_type="data", **headers):
    return client.post(
        f"/api/v1/sims/{sim.iccid}/topup",
        {"quota_type": quota_type, "volume": volume},
        format="json",
        headers=headers,
    )


def test_data_quota_is_read_from_1nce(operator_client, fleet):
    sim = fleet[0]
    response = operator_client.get(f"/api/v1/sims/{sim.iccid}/quota/data")
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    upstream = testing.get_sim(sim.iccid)
    assert data["volume"] == PACKAGE == round(upstream["data_total_mb"] * 1024 * 1024)
    assert data["remaining_volume"] == data["volume"] - data["used_volume"]
    assert data["status"] == "Active"
    assert data["expiry_date"] and data["stale"] is False
    sim.refresh_from_db()
    assert sim.data_quota_total_bytes == PACKAGE
    sms = operator_client.get(f"/api/v1/sims/{sim.iccid}/quota/sms").json()["data"]
    assert sms["volume"] == upstream["sms_total"]


def test_top_up_places_one_order_per_package_and_records_them(operator_client, fleet):
    sim = fleet[0]
    response = top_up(operator_client, sim, volume=2 * PACKAGE)
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    topup = TopUp.objects.get(transaction_id=data["transaction_id"])
    assert topup.status == TopUpStatus.COMPLETED
    numbers = sorted(o.order_number for o in topup.orders.all())
    assert len(numbers) == 2 and all(numbers)
    assert sorted(data["order_numbers"]) == numbers
    assert sorted(str(o.order_number) for o in upstream_orders(sim.organization, sim.iccid)) == (
        numbers
    )
    assert len(topup_posts(sim.iccid)) == 2
    upstream = testing.get_sim(sim.iccid)
    assert data["volume_added"] == 2 * PACKAGE
    assert data["new_total"] == round(upstream["data_total_mb"] * 1024 * 1024)
    assert data["new_remaining"] == round(upstream["data_remaining_mb"] * 1024 * 1024)
    assert data["timestamp"]
    assert SimEvent.objects.filter(sim=sim, event_type=EventType.QUOTA_TOPPED_UP).count() == 1
    assert AuditLog.objects.filter(operation="TOPUP", resource_id=sim.iccid).count() == 1


def test_idempotency_key_replay_does_nothing_twice(operator_client, fleet):
    sim = fleet[1]
    first = top_up(operator_client, sim, quota_type="sms", volume=250, **{"Idempotency-Key": "k1"})
    again = top_up(operator_client, sim, quota_type="sms", volume=250, **{"Idempotency-Key": "k1"})
    assert first.status_code == again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["data"] == first.json()["data"]
    assert len(topup_posts(sim.iccid)) == 1
    assert TopUp.objects.count() == 1


def test_upstream_failure_answers_503_and_completes_nothing(operator_client, fleet, settings):
    sim = fleet[0]
    before = testing.get_sim(sim.iccid)
    testing.set_faults(error_rate=1.0, error_status=503, paths="/topup", enforce_rate_limit=False)
    response = top_up(operator_client, sim)
    assert response.status_code == 503, response.content
    assert response.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
    assert not TopUp.objects.filter(status=TopUpStatus.COMPLETED).exists()
    assert not upstream_orders(sim.organization, sim.iccid)
    assert testing.get_sim(sim.iccid)["data_total_mb"] == before["data_total_mb"]

    # A 503 after sending may still be applied: no other top-up of the SIM until it settles.
    testing.set_faults(enforce_rate_limit=False)
    pending = top_up(operator_client, sim)
    assert pending.status_code == 409, pending.content
    assert pending.json()["error"]["details"]["status_url"].startswith(
        f"/api/v1/sims/{sim.iccid}/topups/"
    )
    # Once the settle window has passed with no order at 1NCE: not applied, then done once.
    settings.TOPUP_SETTLE_SECONDS = 0
    assert top_up(operator_client, sim).status_code == 200
    assert len(upstream_orders(sim.organization, sim.iccid)) == 1
    statuses = sorted(TopUpOrder.objects.values_list("status", flat=True))
    assert statuses == [TopUpOrderStatus.COMPLETED, TopUpOrderStatus.FAILED]


def test_answer_lost_after_1nce_applied_it_is_reconciled_not_repeated(operator_client, fleet):
    sim = fleet[0]
    testing.set_faults(ambiguous_writes=True, error_status=500, paths="/topup")
    response = top_up(operator_client, sim)
    assert response.status_code == 200, response.content
    orders = upstream_orders(sim.organization, sim.iccid)
    assert len(orders) == 1 and len(topup_posts(sim.iccid)) == 1
    row = TopUpOrder.objects.get()
    assert row.status == TopUpOrderStatus.COMPLETED
    assert row.order_number == str(orders[0].order_number)


def wait_for_posts(iccid, count, *, within=10.0):
    """Wait until the simulator has answered ``count`` top-up calls for the SIM (a hanging
    call is logged when it ends, after a late write was applied)."""
    wait_for(lambda: len(topup_posts(iccid)) >= count, timeout=within, what="1NCE's late call")


def test_late_write_retried_ten_times_with_the_same_key_is_bought_once(
    operator_client, fleet, settings
):
    sim, other = fleet[0], fleet[1]
    settings.UPSTREAM_READ_TIMEOUT = 0.5
    # 1NCE works on the top-up past our timeout and applies it 3 s later.
    testing.set_faults(hang_seconds=3, paths="/topup", enforce_rate_limit=False)
    key = {"Idempotency-Key": "late"}
    response = top_up(operator_client, sim, **key)
    assert response.status_code == 504, response.content
    details = response.json()["error"]["details"]
    assert details["status"] == TopUpStatus.UNKNOWN
    status_url = details["status_url"]
    assert status_url == f"/api/v1/sims/{sim.iccid}/topups/{details['transaction_id']}"
    testing.set_faults(enforce_rate_limit=False)

    for _ in range(10):
        retry = top_up(operator_client, sim, **key)
        assert retry.status_code == 202, retry.content
        data = retry.json()["data"]
        assert data["outcome"] == "pending" and data["status_url"] == status_url
        assert data["transaction_id"] == details["transaction_id"]
    assert "Idempotent-Replayed" not in retry.headers
    # Another request for the SIM is refused rather than buying next to the unsettled one.
    conflict = top_up(operator_client, sim)
    assert conflict.status_code == 409, conflict.content
    assert conflict.json()["error"]["details"]["status_url"] == status_url
    assert top_up(operator_client, other).status_code == 200  # other SIMs are not held up
    # Nothing reached 1NCE but the first call (logged once it ends: under load it may have).
    assert [call["fault"] for call in topup_posts(sim.iccid)] in ([], ["hang"])

    wait_for_posts(sim.iccid, 1)
    assert OnenceOrder.objects.filter(iccids__contains=[sim.iccid]).count() == 1
    assert reconcile_topups()["applied"] == 1  # the periodic reconciler finds it at 1NCE
    shown = operator_client.get(status_url).json()["data"]
    assert shown["status"] == TopUpStatus.COMPLETED
    assert [call["status"] for call in shown["package_calls"]] == ["completed"]

    settled = top_up(operator_client, sim, **key)
    assert settled.status_code == 200, settled.content
    assert settled.json()["data"]["transaction_id"] == details["transaction_id"]
    assert len(topup_posts(sim.iccid)) == 1
    orders = upstream_orders(sim.organization, sim.iccid)
    assert [str(o.order_number) for o in orders] == settled.json()["data"]["order_numbers"]


def test_a_lost_top_up_with_nothing_at_1nce_is_bought_once_after_the_settle_window(
    operator_client, fleet, settings
):
    sim = fleet[0]
    settings.UPSTREAM_READ_TIMEOUT = 0.5
    # 1NCE hangs past our timeout and then fails: nothing is ever applied.
    testing.set_faults(hang_seconds=1, error_rate=1.0, paths="/topup", enforce_rate_limit=False)
    key = {"Idempotency-Key": "lost"}
    assert top_up(operator_client, sim, **key).status_code == 504
    testing.set_faults(enforce_rate_limit=False)
    assert top_up(operator_client, sim, **key).status_code == 202  # inside the window
    wait_for_posts(sim.iccid, 1)
    assert top_up(operator_client, sim, **key).status_code == 202
    assert len(topup_posts(sim.iccid)) == 1

    settings.TOPUP_SETTLE_SECONDS = 0  # the window has passed with no order at 1NCE
    call_command("reconcile_topups", verbosity=0)
    assert TopUp.objects.get().status == TopUpStatus.FAILED
    for _ in range(3):
        retry = top_up(operator_client, sim, **key)
        assert retry.status_code == 200, retry.content
    assert len(topup_posts(sim.iccid)) == 2
    assert len(upstream_orders(sim.organization, sim.iccid)) == 1


def test_a_refused_connection_fails_the_call_instead_of_leaving_it_unknown(
    operator_client, fleet, settings
):
    sim = fleet[0]
    live = settings.ONENCE_BASE_URL
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    settings.ONENCE_BASE_URL = f"http://127.0.0.1:{port}/sim/1nce/management-api"
    response = top_up(operator_client, sim)
    assert response.status_code == 503, response.content
    assert TopUpOrder.objects.get().status == TopUpOrderStatus.FAILED
    assert TopUp.objects.get().status == TopUpStatus.FAILED
    settings.ONENCE_BASE_URL = live
    assert top_up(operator_client, sim).status_code == 200  # nothing pending to wait for
    assert len(upstream_orders(sim.organization, sim.iccid)) == 1


def test_bulk_top_up_runs_as_a_job_with_per_sim_results(
    operator_client, fleet, django_capture_on_commit_callbacks
):
    unknown = "8988228666000009999"
    body = {
        "sims": [
            {"iccid": fleet[0].iccid, "quota_type": "data", "volume": PACKAGE},
            {"iccid": fleet[1].iccid, "quota_type": "sms", "volume": 500},
            {"iccid": unknown, "quota_type": "data", "volume": PACKAGE},
        ]
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = operator_client.post("/api/v1/sims/topup", body, format="json")
    data = assert_job_accepted(response, total=3)
    assert data["status"] in {"pending", "processing"}
    job = operator_client.get(data["status_url"]).json()["data"]
    assert job["status"] == JobStatus.PARTIAL
    assert (job["done"], job["failed"]) == (2, 1)
    results = {row["key"]: row for row in job["results"]}
    assert results[unknown]["status"] == "failed" and results[unknown]["error"]
    for sim, packages in ((fleet[0], 1), (fleet[1], 2)):
        result = results[sim.iccid]["result"]
        upstream = sorted(str(o.order_number) for o in upstream_orders(sim.organization, sim.iccid))
        assert sorted(result["order_numbers"]) == upstream
        assert len(upstream) == packages == len(topup_posts(sim.iccid))


def test_bulk_job_interrupted_after_the_upstream_call_resumes_without_a_double_top_up(
    operator_client, fleet, django_capture_on_commit_callbacks
):
    body = {"sims": [{"iccid": s.iccid, "quota_type": "data", "volume": PACKAGE} for s in fleet]}
    with django_capture_on_commit_callbacks(execute=True):
        job_id = operator_client.post(reverse("quotas-api:bulk-topup"), body).json()["data"][
            "job_id"
        ]
    assert len(topup_posts()) == 3
    # A worker died right after 1NCE applied the second SIM's top-up, before recording it.
    victim = JobItem.objects.get(job_id=job_id, key=fleet[1].iccid)
    JobItem.objects.filter(pk=victim.pk).update(status=JobItemStatus.IN_PROGRESS)
    TopUpOrder.objects.filter(topup__job_item=victim).update(
        status=TopUpOrderStatus.PENDING, order_number=""
    )
    TopUp.objects.filter(job_item=victim).update(status=TopUpStatus.PROCESSING)
    Job.objects.filter(pk=job_id).update(status=JobStatus.PROCESSING, done=2, finished_at=None)

    run_bulk_topup_task.delay(job_id)  # redelivered (acks_late)

    assert len(topup_posts()) == 3  # nothing bought again
    victim.refresh_from_db()
    assert victim.status == JobItemStatus.SUCCEEDED and victim.attempts == 2
    row = TopUpOrder.objects.get(topup__job_item=victim)
    upstream = upstream_orders(fleet[1].organization, fleet[1].iccid)
    assert [row.order_number] == [str(o.order_number) for o in upstream]
    assert Job.objects.get(pk=job_id).status == JobStatus.COMPLETED


def test_bulk_job_interrupted_before_the_upstream_call_tops_up_once(
    operator_client, fleet, django_capture_on_commit_callbacks
):
    body = {"sims": [{"iccid": fleet[2].iccid, "quota_type": "data", "volume": PACKAGE}]}
    testing.set_faults(error_rate=1.0, error_status=400, paths="/topup", enforce_rate_limit=False)
    with django_capture_on_commit_callbacks(execute=True):
        job_id = operator_client.post("/api/v1/sims/topup", body).json()["data"]["job_id"]
    assert Job.objects.get(pk=job_id).status == JobStatus.FAILED
    testing.set_faults(enforce_rate_limit=False)
    Job.objects.filter(pk=job_id).update(status=JobStatus.PROCESSING, finished_at=None)
    run_bulk_topup_task.delay(job_id)
    assert Job.objects.get(pk=job_id).status == JobStatus.COMPLETED
    assert len(upstream_orders(fleet[2].organization, fleet[2].iccid)) == 1


def test_bulk_idempotency_key_replay_creates_one_job(
    operator_client, fleet, django_capture_on_commit_callbacks
):
    body = {"sims": [{"iccid": fleet[0].iccid, "quota_type": "data", "volume": PACKAGE}]}
    with django_capture_on_commit_callbacks(execute=True):
        first = operator_client.post("/api/v1/sims/topup", body, headers={"Idempotency-Key": "b"})
        again = operator_client.post("/api/v1/sims/topup", body, headers={"Idempotency-Key": "b"})
    assert first.json()["data"]["job_id"] == again.json()["data"]["job_id"]
    assert Job.objects.count() == 1
    assert len(topup_posts()) == 1


def test_a_second_run_of_the_same_top_up_never_calls_for_a_package_in_flight(fleet):
    """Seen in review: a retry that took an Idempotency-Key over while the first run was still
    calling 1NCE overwrote the first run's open call and bought the package again."""
    from core.exceptions import Conflict
    from quotas.services.topups import _start_call

    sim = fleet[0]
    topup = TopUp.objects.create(
        organization_id=sim.organization_id, sim=sim, quota_type="data", volume=PACKAGE, packages=1
    )
    in_flight = _start_call(topup=topup, sequence=0)  # the first run, mid-call
    with pytest.raises(Conflict):
        _start_call(topup=topup, sequence=0)  # the second run, same package
    in_flight.refresh_from_db()
    assert in_flight.status == TopUpOrderStatus.PENDING
    assert TopUpOrder.objects.filter(topup=topup).count() == 1
