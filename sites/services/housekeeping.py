"""The periodic side of correlation: settle recovered site outages when no event arrives to do
it, and reconcile SIM presence with the periodic connectivity refresh (the fallback when the
Data Streamer is down or misses an event)."""

from datetime import timedelta

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from accounts.models import Organization
from sims.models import ConnectivitySnapshot, Sim
from sites.models import SimPresence, SiteOutage, SiteOutageState
from sites.services.base import organization_lock
from sites.services.correlation import Observation, correlate
from sites.services.resolution import settle


def settle_all() -> dict:
    """Settle every organization's recovering site outages (each in its own transaction)."""
    resolved, proposed = [], []
    organization_ids = (
        SiteOutage.objects.filter(state=SiteOutageState.RECOVERING)
        .values_list("organization_id", flat=True)
        .distinct()
    )
    for organization in Organization.objects.filter(pk__in=list(organization_ids)).order_by("pk"):
        with transaction.atomic():
            organization_lock(organization.pk)
            report = settle(organization=organization)
        resolved += report.outages_resolved
        proposed += report.resolutions_proposed
    return {"resolved": resolved, "proposed": proposed}


def reconcile_connectivity(*, organization, within_minutes: int = 60) -> int:
    """Apply the connectivity readings of the periodic refresh (last ``within_minutes``) that
    disagree with a site SIM's presence and are newer than it; answers how many."""
    since = timezone.now() - timedelta(minutes=within_minutes)
    latest = ConnectivitySnapshot.objects.filter(sim=OuterRef("pk"), taken_at__gte=since).order_by(
        "-taken_at", "-id"
    )
    readings = (
        Sim.objects.filter(organization=organization, site__isnull=False)
        .annotate(
            read_connected=Subquery(latest.values("connected")[:1]),
            read_at=Subquery(latest.values("taken_at")[:1]),
        )
        .filter(read_at__isnull=False)
        .values_list("pk", "read_connected", "read_at")
    )
    readings = list(readings)
    presences = {
        p.sim_id: p for p in SimPresence.objects.filter(sim_id__in=[pk for pk, _, _ in readings])
    }
    observations = []
    for pk, connected, read_at in readings:
        presence = presences.get(pk)
        known_online = presence.online if presence is not None else True
        if connected != known_online and (presence is None or read_at > presence.changed_at):
            observations.append(
                Observation(
                    sim_id=pk,
                    online=connected,
                    at=read_at,
                    source="refresh",
                    event_type="connectivity refresh",
                    record_sim_event=False,
                )
            )
    if observations:
        with transaction.atomic():
            organization_lock(organization.pk)
            correlate(organization=organization, observations=observations)
    return len(observations)


def reconcile_all() -> dict:
    organizations = Organization.objects.filter(is_active=True).order_by("pk")
    return {org.slug: reconcile_connectivity(organization=org) for org in organizations}
