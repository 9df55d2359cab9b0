"""Closing site outages: after the settle time, resolve with ``resolved_at`` = the recovery
time (auto-resolve) or propose it on the timeline; a person may accept the proposal."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.audit import record_audit
from core.context import Context
from core.errors import Conflict
from outages import services as outage_services
from outages.models import OPEN_STATUSES, TimelineKind
from sites.models import OutageEvidence, SiteOutage, SiteOutageState
from sites.services.base import correlation_context
from sites.services.sites import policy_for


@dataclass
class SettleReport:
    outages_resolved: list[str] = field(default_factory=list)
    resolutions_proposed: list[str] = field(default_factory=list)


def settle(*, organization, site_outages=None, now: datetime | None = None) -> SettleReport:
    """Resolve (or propose resolving) the organization's recovering site outages (or those of
    ``site_outages``) whose share has stayed at or above the threshold for the settle time."""
    report = SettleReport()
    policy = policy_for(organization)
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=policy.settle_seconds)
    candidates = (
        site_outages
        if site_outages is not None
        else list(
            SiteOutage.objects.select_related("outage", "site").filter(
                organization=organization, state=SiteOutageState.RECOVERING
            )
        )
    )
    context = correlation_context()
    for site_outage in candidates:
        if site_outage.state != SiteOutageState.RECOVERING or site_outage.recovered_at > cutoff:
            continue
        _settled(site_outage, policy, context, now, report)
    return report


def _settled(site_outage: SiteOutage, policy, context: Context, now, report) -> None:
    outage = site_outage.outage
    recovered_at = min(site_outage.recovered_at, now)
    evidence = _recovery_evidence(site_outage)
    if outage.status not in OPEN_STATUSES:
        site_outage.state, site_outage.closed_at = SiteOutageState.CLOSED, now
        site_outage.save(update_fields=["state", "closed_at"])
        return
    if policy.auto_resolve:
        outage_services.update_outage(
            outage=outage,
            changes={
                "status": "resolved",
                "resolved_at": max(recovered_at, outage.detected_at),
                "resolution_notes": "Resolved from SIM evidence: the site's online share "
                f"stayed at or above {policy.threshold_percent}% for "
                f"{policy.settle_seconds} s.",
            },
            context=context,
            evidence=evidence,
        )
        site_outage.state, site_outage.closed_at = SiteOutageState.CLOSED, now
        report.outages_resolved.append(outage.public_id)
    else:
        outage_services.add_timeline_entry(
            outage=outage,
            kind=TimelineKind.RESOLUTION_PROPOSED,
            event=f"Resolution proposed from SIM evidence: resolved at {recovered_at:%H:%M:%S}",
            context=context,
            details={"resolved_at": recovered_at.isoformat(), "evidence": evidence},
        )
        site_outage.state = SiteOutageState.PROPOSED
        report.resolutions_proposed.append(outage.public_id)
    site_outage.save()
    record_audit(
        operation="resolve_site_outage" if policy.auto_resolve else "propose_outage_resolution",
        resource_type="outage",
        resource_id=outage.public_id,
        organization=outage.organization,
        context=context,
        request_body={"resolved_at": recovered_at.isoformat()},
    )


def _recovery_evidence(site_outage: SiteOutage) -> dict:
    evidence = (
        OutageEvidence.objects.filter(site_outage=site_outage, sim_id=site_outage.recovered_by_id)
        .select_related("sim")
        .first()
    )
    return {
        "iccid": evidence.sim.iccid if evidence else "",
        "event_id": evidence.restored_event_id if evidence else None,
        "recovered_at": site_outage.recovered_at.isoformat(),
        "sims_lost": site_outage.sims_lost,
    }


@transaction.atomic
def accept_proposed_resolution(*, site_outage: SiteOutage, context: Context):
    """A person accepts the resolution the evidence proposed: resolved at the recovery time
    (a timestamp from evidence)."""
    site_outage = (
        SiteOutage.objects.select_for_update().select_related("outage").get(pk=site_outage.pk)
    )
    if site_outage.state != SiteOutageState.PROPOSED:
        raise Conflict("No resolution is proposed for this outage.")
    outage, _ = outage_services.update_outage(
        outage=site_outage.outage,
        changes={"status": "resolved", "resolved_at": site_outage.recovered_at},
        context=context,
        evidence=_recovery_evidence(site_outage),
    )
    site_outage.state, site_outage.closed_at = SiteOutageState.CLOSED, timezone.now()
    site_outage.save(update_fields=["state", "closed_at"])
    return outage
