"""SMS: delivery that progresses with the simulated clock, cancel, quota and usage."""

import pytest

from simulators.onence import testing
from simulators.onence.models import OnenceSim, OnenceSms

pytestmark = pytest.mark.django_db


def send(onence, iccid, **body):
    response = onence.post(f"/v2/sims/{iccid}/sms", {"payload": "ping", **body})
    assert response.status_code == 201
    return response.json()["id"]


def status_of(onence, iccid, sms_id) -> dict:
    return onence.get(f"/v2/sims/{iccid}/sms/{sms_id}").json()


def later(onence, seconds):
    testing.advance_time(seconds=seconds)
    onence.reauthenticate()


def test_mt_sms_is_pending_then_delivered(onence, fleet):
    testing.set_connectivity(fleet[0], "ONLINE")
    sms_id = send(onence, fleet[0])
    assert status_of(onence, fleet[0], sms_id)["status"] == {"description": "PENDING", "id": 2}
    later(onence, 11)
    sms = status_of(onence, fleet[0], sms_id)
    assert sms["status"] == {"description": "DELIVERED", "id": 4}
    assert sms["delivery_date"] >= sms["submit_date"]
    assert sms["sms_type"]["description"] == "MT"


def test_sms_to_an_offline_sim_waits_and_is_delivered_when_it_returns(onence, fleet):
    testing.set_connectivity(fleet[0], "OFFLINE")
    sms_id = send(onence, fleet[0])
    later(onence, 3600)
    sms = status_of(onence, fleet[0], sms_id)
    assert sms["status"]["description"] == "PENDING"
    assert sms["retry_count"] > 0
    testing.set_connectivity(fleet[0], "ATTACHED")
    later(onence, 600)
    assert status_of(onence, fleet[0], sms_id)["status"]["description"] == "DELIVERED"


def test_sms_expires_when_the_sim_stays_offline(onence, fleet):
    testing.set_connectivity(fleet[0], "OFFLINE")
    sms_id = send(onence, fleet[0], expiry_date="2099-01-01T00:00:00Z")
    OnenceSms.objects.filter(pk=sms_id).update(expiry_date="2000-01-01T00:00:00Z")
    later(onence, 11)
    sms = status_of(onence, fleet[0], sms_id)
    assert sms["status"] == {"description": "EXPIRED", "id": 6}
    assert sms["gsm_map_error"] == "Absent subscriber"


def test_sms_fails_when_the_sim_is_disabled_before_delivery(onence, fleet):
    sms_id = send(onence, fleet[0])
    onence.put(f"/v2/sims/{fleet[0]}", {"status": "Disabled"})
    later(onence, 11)
    assert status_of(onence, fleet[0], sms_id)["status"]["description"] == "FAILED"


def test_cancel_a_buffered_sms_but_not_a_delivered_one(onence, fleet):
    testing.set_connectivity(fleet[0], "ONLINE")
    pending = send(onence, fleet[0])
    response = onence.delete(f"/v2/sims/{fleet[0]}/sms/{pending}")
    assert response.json() == {"id": pending}
    assert onence.get(f"/v2/sims/{fleet[0]}/sms/{pending}").status_code == 404
    delivered = send(onence, fleet[0])
    later(onence, 11)
    assert onence.delete(f"/v2/sims/{fleet[0]}/sms/{delivered}").status_code == 400


def test_sending_costs_quota_and_counts_as_mt_usage(onence, fleet):
    before = testing.get_sim(fleet[0])["sms_remaining"]
    usage_before = onence.get(f"/v1/sims/{fleet[0]}/usage").json()["stats"][-1]["sms"]
    send(onence, fleet[0])
    assert testing.get_sim(fleet[0])["sms_remaining"] == before - 1
    usage_after = onence.get(f"/v1/sims/{fleet[0]}/usage").json()["stats"][-1]["sms"]
    assert int(usage_after["volume_tx"]) == int(usage_before["volume_tx"]) + 1


@pytest.mark.parametrize(
    "body",
    [{"payload": ""}, {"payload": "x" * 161}, {"payload": "x", "udh": "xyz"}, {"payload": 5}],
)
def test_invalid_messages_are_400(onence, fleet, body):
    response = onence.post(f"/v2/sims/{fleet[0]}/sms", body)
    assert response.status_code == 400
    assert response.json()["error_token"] == "BadRequest"


def test_sms_list_pages_with_per_page(onence, fleet):
    for _ in range(3):
        send(onence, fleet[0])
    response = onence.get(f"/v2/sims/{fleet[0]}/sms", page=1, per_page=2)
    assert len(response.json()) == 2
    assert response["X-Total-Count"] == "3"
    assert onence.get(f"/v2/sims/{fleet[0]}/sms", per_page=1001).status_code == 400


def test_devices_send_mo_messages_as_time_passes(onence, fleet):
    OnenceSim.objects.filter(iccid=fleet[0]).update(daily_sms=3.0)
    later(onence, 2 * 86400)
    messages = onence.get(f"/v2/sims/{fleet[0]}/sms").json()
    mo = [sms for sms in messages if sms["sms_type"]["description"] == "MO"]
    assert mo
    assert all(sms["status"]["description"] == "DELIVERED" for sms in mo)
    usage = onence.get(f"/v1/sims/{fleet[0]}/usage", start_dt="2000-01-01").json()["stats"]
    assert int(usage[-1]["sms"]["volume_rx"]) >= len(mo)
