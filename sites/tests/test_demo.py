"""The sites of ``make run``'s demo: ``seed_sites_demo`` makes the towers sites and points the
simulated Data Streamer at us, ``place_demo_sims`` spreads the mirrored fleet over them once it
is there, and ``demo_site_loss`` takes a site down on the simulator: the next streamer run opens
its outage from the events."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from core.context import Context
from outages.demo import SITES
from outages.models import Outage, OutageStatus
from sims.tests.factories import SimFactory
from sites.demo import FleetNotMirrored, place_demo_sims
from sites.models import DataStream, Site

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo(onence_simulator, organization, live_server, settings):
    settings.SITE_URL = live_server.url
    iccids = onence_simulator.seed_fleet(sims=24, days=1)
    out = io.StringIO()
    call_command("seed_sites_demo", "--organization", organization.slug, stdout=out)
    return onence_simulator, iccids, out.getvalue()


def test_the_towers_become_sites_and_the_simulator_streams_to_us(demo, organization):
    from simulators.onence.models import OnenceDataStream

    _, _, printed = demo
    codes = set(Site.objects.filter(organization=organization).values_list("code", flat=True))
    assert codes == {code for _, code, _, _ in SITES}
    [stream] = DataStream.objects.filter(organization=organization)
    simulated = OnenceDataStream.objects.get()
    assert simulated.username == stream.username
    assert simulated.url.endswith("/api/v1/integrations/1nce/data-streamer/events")
    assert simulated.cursor_timestamp is not None  # the fleet's history is not replayed
    assert "demo_site_loss" in printed

    call_command("seed_sites_demo", "--organization", organization.slug, stdout=io.StringIO())
    assert Site.objects.filter(organization=organization).count() == len(SITES)


def test_the_fleet_is_spread_once_mirrored_then_a_site_loss_opens_its_outage(
    demo, organization, other_organization
):
    from simulators.tasks import deliver_data_streams
    from sites.tasks import place_demo_sims as place_task

    _, iccids, _ = demo
    context = Context.system(via="test")
    with pytest.raises(FleetNotMirrored):
        place_demo_sims(organization=organization, context=context)
    stranger = SimFactory(organization=other_organization)
    for iccid in iccids:
        SimFactory(organization=organization, iccid=iccid)

    assert place_task.delay(organization.slug).get() == 24
    counts = dict(Site.objects.filter(organization=organization).values_list("code", "sim_count"))
    assert sorted(counts.values()) == [3] * len(SITES)
    stranger.refresh_from_db()
    assert stranger.site_id is None
    assert place_task.delay(organization.slug).get() == 0  # placed once

    out = io.StringIO()
    call_command(
        "demo_site_loss",
        "--organization",
        organization.slug,
        "--site",
        "SITE007",
        "--share",
        "1",
        "--spread-seconds",
        "0",
        stdout=out,
    )
    assert "3 of 3 SIMs of SITE007" in out.getvalue()
    assert not Outage.objects.filter(organization=organization, site_id="SITE007").exists()

    [delivered] = deliver_data_streams.delay().get().values()
    assert (delivered["sent"], delivered["last_status"]) == (3, 200)
    outage = Outage.objects.get(organization=organization, site_id="SITE007")
    assert outage.status == OutageStatus.ACTIVE and outage.created_by is None
    assert outage.affected_subscribers == 3


def test_a_loss_needs_a_known_site_with_sims(demo, organization):
    with pytest.raises(CommandError, match="no site SITE999"):
        call_command("demo_site_loss", "--organization", organization.slug, "--site", "SITE999")
    with pytest.raises(CommandError, match="No SIM is placed at SITE001"):
        call_command("demo_site_loss", "--organization", organization.slug, "--site", "SITE001")
