"""The periodic connectivity refresh against the 1NCE simulator over HTTP: every SIM's RAT,
country and operator get filled, least recently read first, bounded per run."""

import pytest

from config.schedules import PERIODIC_TASKS
from sims.models import ConnectivitySnapshot, Sim
from sims.tasks import refresh_connectivity
from sims.tests.factories import SimFactory
from simulators.onence import testing

pytestmark = pytest.mark.django_db(transaction=True)


def status_reads() -> list[str]:
    """ICCIDs whose connectivity 1NCE was asked for, in order."""
    return [
        call["path"].split("/")[-2]
        for call in testing.requests_received(path_contains="/status", method="GET")
    ]


def test_refresh_fills_every_sims_country_and_rat(onence_fleet, other_organization):
    for sim in onence_fleet:
        testing.set_connectivity(sim.iccid, "ONLINE")
    unconnected = SimFactory(organization=other_organization)  # no 1NCE account: never read

    report = refresh_connectivity.delay().get()

    assert (report["sims"], report["refreshed"], report["failed"]) == (3, 3, 0)
    for sim in Sim.objects.filter(pk__in=[s.pk for s in onence_fleet]):
        assert sim.current_country and sim.current_rat and sim.current_operator
    assert ConnectivitySnapshot.objects.filter(sim__in=onence_fleet).count() == 3
    assert not ConnectivitySnapshot.objects.filter(sim=unconnected).exists()


def test_each_run_is_bounded_and_takes_the_least_recently_read_first(onence_fleet, settings):
    settings.CONNECTIVITY_REFRESH_MAX_SIMS = 2
    first = refresh_connectivity.delay().get()
    assert (first["sims"], first["refreshed"]) == (2, 2)
    never_read = [s for s in onence_fleet if not ConnectivitySnapshot.objects.filter(sim=s)]
    assert len(never_read) == 1

    second = refresh_connectivity.delay().get()
    assert second["refreshed"] == 2
    reads = status_reads()
    assert len(reads) == 4
    # The SIM never read goes first, then the one read longest ago.
    assert reads[2] == never_read[0].iccid
    assert reads[3] == reads[0]
    assert all(ConnectivitySnapshot.objects.filter(sim=s).exists() for s in onence_fleet)


def test_1nce_down_stops_the_run_and_changes_nothing(onence_fleet, settings):
    settings.USAGE_SYNC_ABORT_AFTER = 2
    settings.UPSTREAM_MAX_RETRIES = 0
    testing.set_faults(error_rate=1.0, error_status=503, paths="/status")

    report = refresh_connectivity.delay().get()

    assert report["aborted"] is True
    assert (report["refreshed"], report["failed"], report["deferred"]) == (0, 2, 1)
    assert not ConnectivitySnapshot.objects.exists()
    assert not Sim.objects.exclude(current_rat="").exists()


def test_refresh_is_declared_with_an_expiry_under_its_period():
    schedule = next(s for s in PERIODIC_TASKS if s.task == "sims.tasks.refresh_connectivity")
    assert schedule.expires_seconds < schedule.every_seconds <= 15 * 60
