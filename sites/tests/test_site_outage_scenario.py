"""The judged scenario (issue 18): the 1NCE simulator streams its SIM events over HTTP to our
ingest endpoint; a site loses 30 of its 40 SIMs within 2 minutes and they recover 20 minutes
later; three SIMs of other sites are lost alone."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from outages.models import Outage, OutageStatus, SlaResult, TimelineEntry, TimelineKind
from outages.services.reports import build_sla_report
from sims.models import EventType, SimEvent
from sims.tests.factories import SimFactory
from sites.models import OutageEvidence, SiteOutage, StreamEvent

pytestmark = pytest.mark.django_db(transaction=True)


def minute(moment):
    return moment.replace(second=0, microsecond=0)


@pytest.fixture
def streamed_fleet(onence_simulator, organization, live_server, stream, make_site):
    """55 simulator SIMs mirrored into ``organization``: 40 at SITE-A, 5 at each of three
    other sites; the simulator's Data Streamer posts to our endpoint with our credentials."""
    iccids = onence_simulator.seed_fleet(sims=55, days=1)
    for iccid in iccids:
        SimFactory(organization=organization, iccid=iccid)
    site = make_site(organization, iccids=iccids[:40], code="SITE-A", name="Tower A")
    others = [
        make_site(organization, iccids=iccids[40 + 5 * i : 45 + 5 * i], code=f"SITE-{i}")
        for i in range(3)
    ]
    data_stream, password = stream
    onence_simulator.configure_data_stream(
        url=live_server.url + reverse("sites-api:data-streamer-events"),
        username=data_stream.username,
        password=password,
    )
    return onence_simulator, site, others, iccids


def script_scenario(testing, iccids, t0):
    # 30 of SITE-A's 40 SIMs go down one every 4 s (116 s in all); each is back 20 min later.
    testing.script_site_loss(
        iccids=iccids[:30], lose_at=t0, spread_seconds=116, down_seconds=20 * 60
    )
    # One SIM of each other site, alone, down for 3 minutes.
    for i in range(3):
        testing.script_site_loss(
            iccids=[iccids[40 + 5 * i]], lose_at=t0 + timedelta(minutes=5 + i), down_seconds=180
        )


def test_a_site_loss_opens_times_and_closes_one_outage_from_streamed_events(
    streamed_fleet, organization
):
    testing, site, others, iccids = streamed_fleet
    t0 = minute(timezone.now() - timedelta(minutes=45)) + timedelta(seconds=5)
    script_scenario(testing, iccids, t0)

    # The first ten minutes reach FleetOps: the site is down.
    delivered = testing.stream_events(until=t0 + timedelta(minutes=10))
    assert delivered["last_status"] == 200
    outage = Outage.objects.get(organization=organization)
    assert outage.status == OutageStatus.ACTIVE
    assert outage.site_id == "SITE-A"
    assert outage.created_by is None
    assert minute(outage.detected_at) == minute(t0)
    assert outage.affected_subscribers == 30
    assert outage.detected_at_source == "evidence"
    site.refresh_from_db()
    assert (site.online_count, site.offline_count) == (10, 30)

    # The rest: they recover 20 minutes later.
    testing.stream_events()
    assert Outage.objects.filter(organization=organization).count() == 1
    outage.refresh_from_db()
    assert outage.status == OutageStatus.RESOLVED
    assert minute(outage.resolved_at) == minute(t0 + timedelta(minutes=20))
    assert outage.resolved_at_source == "evidence"
    assert outage.mttr_minutes == 20
    result = SlaResult.objects.get(outage=outage)
    assert result.mttr_minutes == 20

    site_outage = SiteOutage.objects.get(outage=outage)
    evidence = OutageEvidence.objects.filter(site_outage=site_outage)
    assert evidence.count() == 30
    assert set(evidence.values_list("sim__iccid", flat=True)) == set(iccids[:30])
    assert not evidence.filter(restored_at__isnull=True).exists()
    # The timeline says which SIM drove each timestamp.
    created = TimelineEntry.objects.get(outage=outage, kind=TimelineKind.CREATED)
    assert created.details["evidence"]["iccid"] == iccids[0]
    assert created.actor_name == "system"
    resolved = TimelineEntry.objects.get(outage=outage, kind=TimelineKind.RESOLVED)
    # The 10th SIM back made it 20/40 online: no longer below the 50 % threshold.
    assert resolved.details["evidence"]["iccid"] == iccids[9]
    assert TimelineEntry.objects.filter(outage=outage, kind=TimelineKind.EVIDENCE).count() >= 60

    # The isolated losses stayed SIM events (alerts), no outage.
    for other in others:
        assert not SiteOutage.objects.filter(site=other).exists()
    lost = SimEvent.objects.filter(event_type=EventType.CONNECTIVITY_LOST)
    assert lost.filter(organization=organization).count() == 33

    # The SLA answer and the monthly report say the timestamps came from evidence.
    report = build_sla_report(organization=organization, month=minute(t0).date().replace(day=1))
    rows = [row for row in report["outages"] if row["id"] == outage.public_id]
    if rows:  # the month may have turned between detection and now
        assert rows[0]["detected_at_source"] == rows[0]["resolved_at_source"] == "evidence"
        assert rows[0]["mttr_minutes"] == 20


def test_a_redelivered_stream_changes_nothing(streamed_fleet):
    testing, _site, _others, iccids = streamed_fleet
    t0 = minute(timezone.now() - timedelta(minutes=45)) + timedelta(seconds=5)
    script_scenario(testing, iccids, t0)
    testing.stream_events()
    counts = (
        StreamEvent.objects.count(),
        SimEvent.objects.count(),
        TimelineEntry.objects.count(),
        Outage.objects.count(),
    )
    testing.rewind_stream()
    assert testing.stream_events()["sent"] == counts[0] >= 66  # the seed's events too
    assert counts == (
        StreamEvent.objects.count(),
        SimEvent.objects.count(),
        TimelineEntry.objects.count(),
        Outage.objects.count(),
    )
    assert Outage.objects.count() == 1
