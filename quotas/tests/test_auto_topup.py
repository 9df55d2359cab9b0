"""Auto top-up rules and the periodic quota check, against the 1NCE simulator."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from quotas.models import AutoTopUpRule, Quota, TopUp, TopUpSource
from quotas.services import check_quotas
from quotas.tests.conftest import PACKAGE, topup_posts
from sims.models import EventType, SimEvent
from simulators.onence import testing
from simulators.onence.models import OnenceOrder, OnenceSim

pytestmark = pytest.mark.django_db(transaction=True)


def use_up(iccid: str, share_left: float) -> None:
    """Make the simulator's SIM have only ``share_left`` of its data quota left.

    Its own threshold is marked as already reached, so 1NCE's auto top-up (if on) stays quiet
    and the test sees FleetOps' rule at work.
    """
    sim = OnenceSim.objects.get(iccid=iccid)
    OnenceSim.objects.filter(pk=sim.pk).update(
        data_volume=int(sim.data_total_volume * share_left),
        data_threshold_reached_at=timezone.now(),
    )


def test_configuring_auto_topup_answers_seed_shape_and_sets_1nce_flag(operator_client, fleet):
    body = {
        "sims": [fleet[0].iccid, fleet[1].iccid, "8988228666000009999"],
        "quota_type": "data",
        "threshold_percentage": 80,
        "topup_amount": PACKAGE,
        "enabled": True,
    }
    response = operator_client.post("/api/v1/sims/auto-topup", body, format="json")
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert (data["configured_sims"], data["failed_sims"]) == (2, 1)
    assert data["details"][0] == {
        "iccid": fleet[0].iccid,
        "status": "configured",
        "enabled": True,
        "threshold": 80,
        "topup_amount": PACKAGE,
    }
    assert testing.get_sim(fleet[0].iccid)["auto_topup"] is True
    assert AutoTopUpRule.objects.filter(enabled=True).count() == 2
    quota = operator_client.get(f"/api/v1/sims/{fleet[0].iccid}/quota/data").json()["data"]
    assert quota["auto_reload"] is True and quota["auto_reload_amount"] == PACKAGE
    assert quota["threshold_percentage"] == 80


def test_auto_topup_configuration_changes_nothing_when_1nce_fails(operator_client, fleet):
    testing.set_faults(error_rate=1.0, error_status=500, paths="autoTopup")
    body = {"sims": [fleet[0].iccid], "threshold_percentage": 80, "topup_amount": PACKAGE}
    response = operator_client.post("/api/v1/sims/auto-topup", body, format="json")
    assert response.status_code == 503
    assert not AutoTopUpRule.objects.exists()


def test_check_quotas_tops_up_once_per_threshold_crossing(fleet):
    sim = fleet[0]
    AutoTopUpRule.objects.create(
        sim=sim,
        organization=sim.organization,
        quota_type="data",
        threshold_percentage=80,
        topup_amount=PACKAGE,
    )
    use_up(sim.iccid, 0.10)  # 90% used: past the 80% threshold

    first = check_quotas()
    assert (first["crossed"], first["topped_up"]) == (1, 1)
    assert len(topup_posts(sim.iccid)) == 1
    topup = TopUp.objects.get()
    assert topup.source == TopUpSource.AUTO and topup.status == "completed"
    events = SimEvent.objects.filter(sim=sim, event_type=EventType.QUOTA_THRESHOLD_REACHED)
    assert events.count() == 1
    assert events.get().details["threshold"] == 80

    # Topped up: usage is back under the threshold, the rule re-arms, nothing more is bought.
    second = check_quotas()
    assert second["topped_up"] == 0
    assert len(topup_posts(sim.iccid)) == 1
    assert Quota.objects.get(sim=sim, quota_type="data").threshold_crossed_at is None

    # A new crossing: one more top-up and one more event.
    use_up(sim.iccid, 0.05)
    call_command("check_quotas", verbosity=0)
    assert len(topup_posts(sim.iccid)) == 2
    assert events.count() == 2


def test_an_unsettled_auto_top_up_is_checked_with_1nce_before_it_is_retried(fleet, settings):
    sim = fleet[0]
    AutoTopUpRule.objects.create(
        sim=sim,
        organization=sim.organization,
        quota_type="data",
        threshold_percentage=50,
        topup_amount=PACKAGE,
    )
    use_up(sim.iccid, 0.10)
    testing.set_faults(error_rate=1.0, error_status=502, paths="/topup", enforce_rate_limit=False)
    check_quotas()  # the top-up's answer is a 502: maybe applied, so it stays unknown
    assert TopUp.objects.get().status == "unknown"
    testing.set_faults(enforce_rate_limit=False)
    check_quotas()  # no order yet, but 1NCE may still be writing it: nothing is bought
    assert TopUp.objects.get().status == "unknown"
    assert len(topup_posts(sim.iccid)) == 1
    settings.TOPUP_SETTLE_SECONDS = 0  # the settle window has passed with nothing at 1NCE
    check_quotas()  # not applied, so this crossing is topped up now
    assert [t.status for t in TopUp.objects.order_by("id")] == ["failed", "completed"]
    assert len(topup_posts(sim.iccid)) == 2
    assert [sim.iccid in order.iccids for order in OnenceOrder.objects.all()].count(True) == 1
    check_quotas()
    assert len(topup_posts(sim.iccid)) == 2


def test_sims_without_a_rule_get_one_threshold_event_per_crossing(fleet):
    sim = fleet[1]
    Quota.objects.create(sim=sim, quota_type="sms", volume=250, remaining=10)
    check_quotas()
    check_quotas()
    events = SimEvent.objects.filter(sim=sim, event_type=EventType.QUOTA_THRESHOLD_REACHED)
    assert events.count() == 1
    assert not TopUp.objects.exists()
    Quota.objects.filter(sim=sim).update(remaining=240)
    check_quotas()
    assert Quota.objects.get(sim=sim).threshold_crossed_at is None
