"""Fleet seeding, the management command and the admin."""

import pytest
from django.core.management import call_command
from django.db.models import Sum

from simulators.onence import testing
from simulators.onence.identifiers import luhn_digit
from simulators.onence.models import (
    OnenceAccount,
    OnenceEvent,
    OnenceFault,
    OnenceSim,
    OnenceUsageDay,
)

pytestmark = pytest.mark.django_db


def test_seeded_sims_have_valid_identifiers(onence):
    iccids = testing.seed_fleet(sims=5, days=3, seed=7)
    sims = OnenceSim.objects.filter(iccid__in=iccids)
    assert len({sim.imsi for sim in sims}) == 5
    for sim in sims:
        assert len(sim.iccid) == 19
        assert sim.iccid_with_luhn == sim.iccid + luhn_digit(sim.iccid)
        assert len(sim.imei) == 15
        assert sim.imei[-1] == luhn_digit(sim.imei[:-1])
        assert len(sim.imsi) == len(sim.msisdn) == 15


def test_luhn_digit_of_a_known_imei():
    assert luhn_digit("49015420323751") == "8"


def test_history_and_quota_agree(onence):
    iccids = testing.seed_fleet(sims=20, days=30)
    assert OnenceUsageDay.objects.values("date").distinct().count() == 31
    for sim in OnenceSim.objects.filter(iccid__in=iccids):
        used = OnenceUsageDay.objects.filter(sim=sim).aggregate(
            data=Sum("data_rx") + Sum("data_tx"), sms=Sum("sms_mo") + Sum("sms_mt")
        )
        assert sim.data_total_volume - sim.data_volume == used["data"]
        assert sim.sms_total_volume - sim.sms_volume == used["sms"]
    assert OnenceEvent.objects.filter(event_type=10).count() == 20


def test_a_second_seed_continues_the_serials(onence):
    first = testing.seed_fleet(sims=2, days=1)
    second = testing.seed_fleet(sims=2, days=1)
    assert int(second[0]) == int(first[-1]) + 1


def test_seed_command_registers_and_seeds_an_account():
    call_command(
        "simulate_1nce", "seed", "--sims", "3", "--days", "2",
        "--client-id", "demo", "--client-secret", "s3cret",
    )  # fmt: skip
    account = OnenceAccount.objects.get(client_id="demo")
    assert account.sims.count() == 3


def test_faults_and_reset_commands():
    call_command("simulate_1nce", "faults", "--error-rate", "0.25", "--latency-ms", "100")
    fault = OnenceFault.objects.get()
    assert (fault.account, fault.error_rate, fault.latency_ms) == (None, 0.25, 100)
    call_command("simulate_1nce", "seed", "--sims", "2", "--days", "1")
    call_command("simulate_1nce", "reset")
    assert not OnenceSim.objects.exists()
    assert not OnenceFault.objects.exists()


ADMIN_MODELS = ["account", "fault", "sim", "event", "sms", "order", "requestlog"]


@pytest.mark.parametrize("model", ADMIN_MODELS)
def test_admin_lists_simulator_state(admin_client, onence, fleet, model):
    assert admin_client.get(f"/admin/simulators/onence{model}/").status_code == 200
