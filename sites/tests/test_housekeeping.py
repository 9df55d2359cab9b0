"""The periodic side: the connectivity refresh's readings reach site SIMs the stream missed,
and a recovery no later event settles is settled by the minute job."""

from datetime import timedelta

import pytest
from django.utils import timezone

from outages.models import Outage, OutageStatus
from sims.models import ConnectivitySnapshot, SimEvent
from sites.models import SimPresence, SiteOutage, SiteOutageState
from sites.services import housekeeping, update_policy
from sites.services.correlation import Observation, correlate

pytestmark = pytest.mark.django_db


def test_refresh_readings_the_stream_missed_are_applied_once(organization, make_site):
    site = make_site(organization, sims=4)
    sims = list(site.sims.order_by("pk"))
    read_at = timezone.now() - timedelta(minutes=2)
    for sim in sims[:3]:
        ConnectivitySnapshot.objects.create(sim=sim, connected=False, details={}, taken_at=read_at)
    ConnectivitySnapshot.objects.create(sim=sims[3], connected=True, details={}, taken_at=read_at)
    assert housekeeping.reconcile_connectivity(organization=organization) == 3
    assert housekeeping.reconcile_connectivity(organization=organization) == 0
    site.refresh_from_db()
    assert site.offline_count == 3
    assert SimPresence.objects.filter(online=False, source="refresh").count() == 3
    # The refresh recorded its own SIM events; the reconciliation adds none.
    assert not SimEvent.objects.exists()
    assert Outage.objects.get(organization=organization).detected_at == read_at


def test_the_minute_job_settles_a_recovery_no_event_followed(organization, make_site, system):
    update_policy(organization=organization, changes={"settle_seconds": 120}, context=system)
    site = make_site(organization, sims=4)
    sims = list(site.sims.order_by("pk"))
    now = timezone.now()
    correlate(
        organization=organization,
        observations=[
            Observation(sim_id=s.pk, online=False, at=now - timedelta(minutes=30), event_id=i + 1)
            for i, s in enumerate(sims[:3])
        ],
    )
    back_at = now - timedelta(seconds=30)  # within the settle time: not settled yet
    correlate(
        organization=organization,
        observations=[
            Observation(sim_id=s.pk, online=True, at=back_at, event_id=10 + i)
            for i, s in enumerate(sims[:3])
        ],
    )
    site_outage = SiteOutage.objects.get(site=site)
    assert site_outage.state == SiteOutageState.RECOVERING
    assert housekeeping.settle_all() == {"resolved": [], "proposed": []}
    SiteOutage.objects.filter(pk=site_outage.pk).update(recovered_at=now - timedelta(minutes=3))
    result = housekeeping.settle_all()
    outage = Outage.objects.get(pk=site_outage.outage_id)
    assert result["resolved"] == [outage.public_id]
    assert outage.status == OutageStatus.RESOLVED
    assert outage.resolved_at == now - timedelta(minutes=3)
