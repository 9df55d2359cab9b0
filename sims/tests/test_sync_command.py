"""``manage.py sync_sims`` retries a 1NCE outage like the periodic task, within bounds."""

import pytest
from django.core.management import CommandError, call_command

from sims.models import Sim
from sims.tasks import SYNC_MAX_RETRIES
from simulators.onence import testing

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def upstream_fleet(onence_simulator, settings):
    settings.UPSTREAM_MAX_RETRIES = 0  # every failed page reaches the command
    settings.SIM_SYNC_RETRY_BACKOFF_SECONDS = 0
    return onence_simulator.seed_fleet(sims=5, days=1)


def sim_list_calls() -> list[dict]:
    return testing.requests_received(path_contains="/sims", method="GET")


def test_command_retries_a_failed_page_and_finishes(upstream_fleet, organization, capsys):
    # Every other request fails, the first included: the first attempt dies on its page.
    testing.set_faults(error_rate=0.5, error_status=503, paths="/sims", enforce_rate_limit=False)

    call_command("sync_sims", "--organization", organization.slug, verbosity=0)

    assert Sim.objects.filter(organization=organization).count() == len(upstream_fleet)
    assert [call["status"] for call in sim_list_calls()][:2] == [503, 200]
    out = capsys.readouterr()
    assert "5 seen" in out.out and "retry 1 of" in out.err


def test_command_gives_up_after_the_tasks_retries(upstream_fleet, organization):
    testing.set_faults(error_rate=1.0, error_status=503, paths="/sims", enforce_rate_limit=False)

    with pytest.raises(CommandError, match="gave up"):
        call_command("sync_sims", "--organization", organization.slug, verbosity=0)

    assert len(sim_list_calls()) == SYNC_MAX_RETRIES + 1
