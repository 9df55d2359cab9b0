"""``manage.py sync_sims``: progress and a summary per organization, ``--organization``, refusals
before any call, and retries of a 1NCE outage like the periodic task, within bounds."""

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


def test_command_shows_progress_and_a_summary_per_organization(
    upstream_fleet, organization, capsys
):
    call_command("sync_sims", verbosity=1)

    out = capsys.readouterr()
    assert Sim.objects.filter(organization=organization).count() == len(upstream_fleet)
    assert out.out.startswith(f"{organization.slug}: 5 seen, 5 created, 0 updated")
    assert f"{organization.slug}: 100%" in out.err and "5/5" in out.err  # the progress bar


def test_command_with_verbosity_0_shows_no_progress_bar(upstream_fleet, organization, capsys):
    call_command("sync_sims", verbosity=0)

    out = capsys.readouterr()
    assert "5 seen" in out.out
    assert "%|" not in out.err


def test_organization_option_syncs_only_that_organization(
    upstream_fleet, organization, other_organization, capsys
):
    call_command("sync_sims", "--organization", organization.slug, verbosity=0)

    assert Sim.objects.filter(organization=organization).count() == len(upstream_fleet)
    assert not Sim.objects.filter(organization=other_organization).exists()
    assert other_organization.slug not in capsys.readouterr().out


def test_an_unconnected_organization_is_refused_before_any_call(upstream_fleet, other_organization):
    with pytest.raises(CommandError, match="No 1NCE account is connected"):
        call_command("sync_sims", "--organization", other_organization.slug, verbosity=0)

    assert sim_list_calls() == []
    assert not Sim.objects.exists()


def test_an_unknown_organization_is_refused(upstream_fleet):
    with pytest.raises(CommandError, match="No organization with slug 'nowhere'"):
        call_command("sync_sims", "--organization", "nowhere", verbosity=0)

    assert sim_list_calls() == []


def test_without_any_connected_organization_the_command_refuses(settings, organization):
    settings.ONENCE_DEFAULT_ORGANIZATION = ""

    with pytest.raises(CommandError, match="No organization is connected to 1NCE"):
        call_command("sync_sims", verbosity=0)
