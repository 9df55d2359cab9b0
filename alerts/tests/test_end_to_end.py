"""From the 1NCE simulator to a receiver: a SIM crosses its quota threshold upstream, our
quota refresh and check see it, and seed 001's ``quota.threshold_reached`` arrives signed."""

import json

import pytest

from alerts import services
from alerts.models import Alert, WebhookDelivery
from alerts.signing import verify
from core.context import Context
from quotas.services.auto import check_quotas
from quotas.services.quota import refresh_quotas
from simulators.onence.models import OnenceSim
from upstream.onence import BYTES_PER_MB

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_simulated_sim_crossing_its_threshold_reaches_the_receiver_signed(
    onence_fleet, organization, receiver
):
    sim = onence_fleet[0]
    _webhook, secret = services.create_webhook(
        organization=organization,
        url=receiver.url,
        event_types=["quota.*"],
        context=Context(),
    )
    # 1NCE's side: 450 of 500 MB used, then all of it.
    OnenceSim.objects.filter(iccid=sim.iccid).update(
        data_total_volume=500 * BYTES_PER_MB, data_volume=50 * BYTES_PER_MB
    )
    refresh_quotas(sim=sim)
    check_quotas()
    OnenceSim.objects.filter(iccid=sim.iccid).update(data_volume=0)
    refresh_quotas(sim=sim)
    check_quotas()
    check_quotas()  # nothing new: each condition is published once

    received = [json.loads(r["body"]) for r in receiver.requests]
    assert [p["event"] for p in received] == ["quota.threshold_reached", "quota.depleted"]
    crossing = received[0]["data"]
    assert crossing["iccid"] == sim.iccid
    assert crossing["quota_type"] == "data"
    assert crossing["threshold"] == 80
    assert crossing["total_quota"] == 500 * BYTES_PER_MB
    assert crossing["current_usage"] == 450 * BYTES_PER_MB
    for request in receiver.requests:
        assert verify(
            secret,
            body=request["body"],
            timestamp=request["headers"]["X-FleetOps-Timestamp"],
            signature_header=request["headers"]["X-FleetOps-Signature"],
        )
    assert WebhookDelivery.objects.filter(status="succeeded").count() == 2
    assert set(Alert.objects.values_list("event_type", flat=True)) == {
        "quota.threshold_reached",
        "quota.depleted",
    }
