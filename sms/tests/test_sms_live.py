"""SMS against the 1NCE simulator over HTTP: delivery, cancel, no double sends, MO sync."""

import socket
import time

import pytest
from django.core.management import call_command

from core.tests.waiting import wait_for
from sims.models import EventType, SimEvent
from simulators.onence import testing
from simulators.onence.models import OnenceSim, OnenceSms, OnenceSmsType
from sms.models import SmsDirection, SmsMessage, SmsStatus, SmsSubmission
from sms.services import sync_sim_sms
from sms.tasks import reconcile_sms, sync_sms

MT = OnenceSmsType.MT

pytestmark = pytest.mark.django_db(transaction=True)


def sms_posts(iccid: str) -> list[dict]:
    return testing.requests_received(path_contains=f"/v2/sims/{iccid}/sms", method="POST")


def send(client, sim, message="Reboot device now", **headers):
    return client.post(
        f"/api/v1/sims/{sim.iccid}/sms",
        {"message": message, "encoding": "GSM7"},
        format="json",
        headers=headers,
    )


def test_sms_is_accepted_then_delivered(operator_client, fleet):
    sim = fleet[0]
    testing.set_connectivity(sim.iccid, "ONLINE")
    response = send(operator_client, sim)
    assert response.status_code == 202, response.content
    data = response.json()["data"]
    assert data["status"] == "pending" and data["iccid"] == sim.iccid
    assert data["status_url"] == f"/api/v1/sims/{sim.iccid}/sms/{data['sms_id']}"
    row = SmsMessage.objects.get(sms_id=data["sms_id"])
    assert row.submission == SmsSubmission.SUBMITTED and row.upstream_id
    assert len(sms_posts(sim.iccid)) == 1

    testing.advance_time(seconds=11)  # the simulator's first delivery attempt is 2-10 s later
    detail = operator_client.get(data["status_url"]).json()["data"]
    assert detail["status"] == "delivered"
    assert detail["direction"] == "MT" and detail["encoding"] == "GSM7"
    assert detail["created_at"] and detail["sent_at"] and detail["delivered_at"]
    assert detail["delivered_at"] >= detail["sent_at"]


def test_cancel_before_delivery_and_409_after(operator_client, fleet):
    offline, online = fleet[0], fleet[1]
    testing.set_connectivity(offline.iccid, "OFFLINE")
    waiting = send(operator_client, offline).json()["data"]
    response = operator_client.delete(waiting["status_url"])
    assert response.status_code == 204, response.content
    assert SmsMessage.objects.get(sms_id=waiting["sms_id"]).status == SmsStatus.CANCELLED
    assert testing.requests_received(path_contains="/sms/", method="DELETE")

    testing.set_connectivity(online.iccid, "ONLINE")
    delivered = send(operator_client, online).json()["data"]
    testing.advance_time(seconds=11)
    response = operator_client.delete(delivered["status_url"])
    assert response.status_code == 409, response.content
    assert response.json()["error"]["details"]["status"] == "delivered"
    assert SmsMessage.objects.get(sms_id=delivered["sms_id"]).status == SmsStatus.DELIVERED


def test_idempotency_key_replay_sends_once(operator_client, fleet):
    sim = fleet[0]
    first = send(operator_client, sim, **{"Idempotency-Key": "sms-1"})
    again = send(operator_client, sim, **{"Idempotency-Key": "sms-1"})
    assert first.status_code == again.status_code == 202
    assert again.json()["data"]["sms_id"] == first.json()["data"]["sms_id"]
    assert len(sms_posts(sim.iccid)) == 1


def test_lost_answer_is_matched_at_1nce_not_sent_again(operator_client, fleet):
    sim = fleet[0]
    testing.set_faults(ambiguous_writes=True, error_status=502, paths="/sms")
    response = send(operator_client, sim)
    assert response.status_code == 202, response.content
    row = SmsMessage.objects.get()
    assert row.submission == SmsSubmission.SUBMITTED and row.upstream_id
    assert len(sms_posts(sim.iccid)) == 1


def test_timeout_then_retry_does_not_send_twice(operator_client, fleet, settings):
    sim = fleet[0]
    settings.UPSTREAM_READ_TIMEOUT = 0.5
    testing.set_faults(hang_seconds=1.5, paths="/sms", enforce_rate_limit=False)
    response = send(operator_client, sim)
    assert response.status_code == 504, response.content
    sms_id = response.json()["error"]["details"]["sms_id"]
    assert SmsMessage.objects.get().submission == SmsSubmission.UNKNOWN
    time.sleep(1.5)  # 1NCE takes the message it was still working on
    testing.set_faults(enforce_rate_limit=False)
    retry = send(operator_client, sim)  # the same text again, no key
    assert retry.status_code == 202, retry.content
    assert retry.json()["data"]["sms_id"] == sms_id
    assert len(sms_posts(sim.iccid)) == 1
    assert SmsMessage.objects.count() == 1


def wait_for_sms_posts(iccid, count, *, within=10.0):
    """A hanging call is logged when it ends, after the late write was applied."""
    wait_for(lambda: len(sms_posts(iccid)) >= count, timeout=within, what="1NCE's late call")


def test_late_sms_retried_ten_times_with_the_same_key_is_sent_once(
    operator_client, fleet, settings
):
    sim = fleet[0]
    settings.UPSTREAM_READ_TIMEOUT = 0.5
    # 1NCE takes the message 3 s after we gave up on the answer.
    testing.set_faults(hang_seconds=3, paths="/sms", enforce_rate_limit=False)
    key = {"Idempotency-Key": "late-sms"}
    first = send(operator_client, sim, **key)
    assert first.status_code == 504, first.content
    details = first.json()["error"]["details"]
    assert details["status_url"] == f"/api/v1/sims/{sim.iccid}/sms/{details['sms_id']}"
    testing.set_faults(enforce_rate_limit=False)
    for _ in range(10):
        retry = send(operator_client, sim, **key)
        assert retry.status_code == 202, retry.content
        data = retry.json()["data"]
        assert data["sms_id"] == details["sms_id"]
        # Pending while the late call hangs; found at 1NCE once it landed (on a loaded machine
        # that can happen within the ten retries): never sent a second time.
        assert data["outcome_pending"] or data["submission"] == "submitted", data
        assert len(sms_posts(sim.iccid)) <= 1
        if data["outcome_pending"]:  # settled answers are stored and replayed after that
            assert "Idempotent-Replayed" not in retry.headers

    wait_for_sms_posts(sim.iccid, 1)
    settled = send(operator_client, sim, **key)
    assert settled.status_code == 202, settled.content
    data = settled.json()["data"]
    assert data["sms_id"] == details["sms_id"]
    assert (data["submission"], data["outcome_pending"]) == ("submitted", False)
    assert len(sms_posts(sim.iccid)) == 1
    assert OnenceSms.objects.filter(sim__iccid=sim.iccid, sms_type=MT).count() == 1


def test_sms_with_nothing_at_1nce_is_sent_once_after_the_settle_window(
    operator_client, fleet, settings
):
    sim = fleet[0]
    settings.UPSTREAM_READ_TIMEOUT = 0.5
    testing.set_faults(hang_seconds=1, error_rate=1.0, paths="/sms", enforce_rate_limit=False)
    key = {"Idempotency-Key": "lost-sms"}
    sms_id = send(operator_client, sim, **key).json()["error"]["details"]["sms_id"]
    testing.set_faults(enforce_rate_limit=False)
    wait_for_sms_posts(sim.iccid, 1)
    assert send(operator_client, sim, **key).json()["data"]["outcome_pending"] is True
    assert len(sms_posts(sim.iccid)) == 1

    settings.SMS_SETTLE_SECONDS = 0  # the window has passed with nothing in 1NCE's list
    assert reconcile_sms()["open"] == 0
    lost = SmsMessage.objects.get(sms_id=sms_id)
    assert lost.status == SmsStatus.FAILED and "never received" in lost.failure_reason
    for _ in range(3):
        retry = send(operator_client, sim, **key)
        assert retry.status_code == 202, retry.content
    assert retry.json()["data"]["sms_id"] != sms_id
    assert retry.json()["data"]["submission"] == "submitted"
    assert len(sms_posts(sim.iccid)) == 2
    assert OnenceSms.objects.filter(sim__iccid=sim.iccid, sms_type=MT).count() == 1


def test_sms_that_never_reached_1nce_shows_failed_with_a_reason(operator_client, fleet, settings):
    sim = fleet[0]
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    live = settings.ONENCE_BASE_URL
    settings.ONENCE_BASE_URL = f"http://127.0.0.1:{port}/sim/1nce/management-api"
    response = send(operator_client, sim)
    assert response.status_code == 503, response.content
    sms_id = response.json()["error"]["details"]["sms_id"]
    settings.ONENCE_BASE_URL = live
    shown = operator_client.get(f"/api/v1/sims/{sim.iccid}/sms/{sms_id}").json()["data"]
    assert shown["status"] == "failed" and shown["outcome_pending"] is False
    assert "could not be reached" in shown["failure_reason"]
    assert send(operator_client, sim).status_code == 202  # sent now, once
    assert len(sms_posts(sim.iccid)) == 1


def test_upstream_refusal_leaves_nothing_behind(operator_client, fleet):
    sim = fleet[0]
    testing.set_faults(error_rate=1.0, error_status=400, paths="/sms", enforce_rate_limit=False)
    response = send(operator_client, sim)
    assert response.status_code == 502
    assert not SmsMessage.objects.exists()


def test_sync_sms_command(fleet, capsys):
    call_command("sync_sms", iccid=[fleet[2].iccid], verbosity=0)
    assert "1 SIMs synced" in capsys.readouterr().out


def test_sync_mirrors_mo_messages_once_with_events(fleet):
    sim = fleet[0]
    # A chatty device, and two days for it to talk: the simulator materialises MO messages
    # as its clock moves.
    OnenceSim.objects.filter(iccid=sim.iccid).update(daily_sms=5)
    testing.advance_time(seconds=2 * 86400)
    first = sync_sim_sms(sim=sim)
    received = SmsMessage.objects.filter(sim=sim, direction=SmsDirection.MO)
    assert first.received == received.count() > 0
    events = SimEvent.objects.filter(sim=sim, event_type=EventType.SMS_RECEIVED)
    assert events.count() == first.received
    assert sync_sim_sms(sim=sim).received == 0
    assert events.count() == received.count()


def test_sync_task_follows_mt_delivery(operator_client, fleet):
    sim = fleet[1]
    testing.set_connectivity(sim.iccid, "ONLINE")
    sms_id = send(operator_client, sim).json()["data"]["sms_id"]
    testing.advance_time(seconds=11)
    result = sync_sms.delay().get()
    assert result["errors"] == 0
    assert SmsMessage.objects.get(sms_id=sms_id).status == SmsStatus.DELIVERED
    listed = operator_client.get(f"/api/v1/sims/{sim.iccid}/sms", {"direction": "MT"}).json()
    assert [row["sms_id"] for row in listed["data"]] == [sms_id]


def test_a_new_key_with_the_same_text_is_a_new_message_not_the_pending_one(
    operator_client, fleet, settings
):
    """Seen in review: a second send of the same text under a new Idempotency-Key was merged
    into the first, still unsettled, and never sent."""
    sim = fleet[0]
    settings.UPSTREAM_READ_TIMEOUT = 0.5
    testing.set_faults(hang_seconds=3, paths="/sms", enforce_rate_limit=False)
    first = send(operator_client, sim, **{"Idempotency-Key": "k1"})
    assert first.status_code == 504, first.content
    testing.set_faults(enforce_rate_limit=False)
    second = send(operator_client, sim, **{"Idempotency-Key": "k2"})
    assert second.status_code == 202, second.content
    assert second.json()["data"]["sms_id"] != first.json()["error"]["details"]["sms_id"]
    wait_for_sms_posts(sim.iccid, 2)
    assert SmsMessage.objects.filter(sim=sim, direction=SmsDirection.MT).count() == 2


def test_reconcile_skips_organizations_without_a_1nce_account(
    operator_client, fleet, settings, other_organization
):
    from sims.tests.factories import SimFactory

    stray = SimFactory(organization=other_organization, status="Enabled")
    SmsMessage.objects.create(
        organization_id=other_organization.pk,
        sim=stray,
        direction=SmsDirection.MT,
        status=SmsStatus.PENDING,
        message="lost",
        submission=SmsSubmission.UNKNOWN,
    )
    settings.UPSTREAM_READ_TIMEOUT = 0.5
    testing.set_faults(hang_seconds=3, paths="/sms", enforce_rate_limit=False)
    lost = send(operator_client, fleet[0], **{"Idempotency-Key": "k3"})
    assert lost.status_code == 504, lost.content
    testing.set_faults(enforce_rate_limit=False)
    wait_for_sms_posts(fleet[0].iccid, 1)
    stats = reconcile_sms()
    assert stats["errors"] == 0 and stats["matched"] == 1
