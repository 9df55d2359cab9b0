"""Correlation (issue 18): SIM connectivity transitions in, site outages out.

Per site, after each transition in time order: when the online share is below the policy's
threshold and at least ``min_sims`` SIMs of the site were lost within ``window_seconds``, one
outage opens for the site (created by the system; ``detected_at`` the first loss of that
cluster; severity from the share lost and the site's criticality; the lost SIMs as
evidence). Further losses attach to it. When the share is back at or above the threshold it
is recovering from that moment; after ``settle_seconds`` without a relapse it resolves with
``resolved_at`` = that moment (or proposes so, when auto-resolve is off). SIMs changing state
``flap_transitions`` times within ``flap_window_seconds`` are flapping: their losses are no
evidence. Every automatic action is on the outage's timeline and audited.

Callers hold the organization's correlation lock (``organization_lock``) for the transaction,
so counts and clusters see every transition once and in order.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone

from accounts.audit import record_audit
from core.context import Context
from outages import services as outage_services
from outages.models import OPEN_STATUSES, Severity, TimelineKind
from sims.events import EVENT_KINDS, publish_sim_events
from sims.models import EventSource, EventType, Sim, SimEvent
from sites.models import (
    OutageEvidence,
    SimPresence,
    Site,
    SiteOutage,
    SiteOutageState,
    SiteShareSample,
)
from sites.services.base import correlation_context
from sites.services.resolution import settle
from sites.services.sites import policy_for

SEVERITY_RANK = [Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL]
CRITICALITY_STEP = {"low": -1, "medium": 0, "high": 1, "critical": 2}


def severity_for(*, lost_share: float, criticality: str) -> str:
    """From the share of the site's SIMs lost, one step up or down for its criticality."""
    base = 3 if lost_share >= 0.9 else 2 if lost_share >= 0.75 else 1 if lost_share >= 0.5 else 0
    rank = min(max(base + CRITICALITY_STEP.get(criticality, 0), 0), 3)
    return SEVERITY_RANK[rank]


@dataclass(frozen=True, slots=True)
class Observation:
    """One SIM seen going online or offline, at ``at``, because of ``event_id`` (1NCE's)."""

    sim_id: int
    online: bool
    at: datetime
    event_id: int | None = None
    event_type: str = ""
    source: str = "data_streamer"
    # The periodic refresh has recorded its own SIM event already.
    record_sim_event: bool = True


@dataclass(frozen=True, slots=True)
class _Sim:
    pk: int
    iccid: str
    site_id: int | None
    organization_id: int


@dataclass
class CorrelationReport:
    transitions: int = 0
    stale: int = 0
    outages_opened: list[str] = field(default_factory=list)
    outages_resolved: list[str] = field(default_factory=list)
    resolutions_proposed: list[str] = field(default_factory=list)
    evidence_attached: int = 0


class _SiteState:
    """A site during one batch: its counts, its open outage and its recent losses."""

    def __init__(self, site: Site, site_outage: SiteOutage | None):
        self.site = site
        self.site_outage = site_outage
        self.recent: dict[int, tuple[datetime, int | None]] = {}  # sim -> (lost at, event id)
        self.evidence: dict[int, OutageEvidence] = {}
        self.new_evidence: list[OutageEvidence] = []
        self.restored_evidence: list[OutageEvidence] = []
        self.timeline: list[tuple[str, str, datetime, dict]] = []
        self.changed = False
        self.samples: dict[datetime, tuple[int, int]] = {}

    def share_below(self, threshold_percent: int) -> bool:
        site = self.site
        return bool(site.sim_count) and site.online_count * 100 < threshold_percent * site.sim_count


def correlate(*, organization, observations: list[Observation]) -> CorrelationReport:
    """Apply ``observations`` (SIMs of ``organization``) in time order: presence, the SIM
    events and domain events they are, site counts, and site outages. Inside a transaction
    holding ``organization_lock``."""
    report = CorrelationReport()
    if not observations:
        return report
    policy = policy_for(organization)
    context = correlation_context()
    window = timedelta(seconds=policy.window_seconds)
    flap_window = timedelta(seconds=policy.flap_window_seconds)
    observations = sorted(observations, key=lambda o: (o.at, o.event_id or 0))
    sim_ids = {o.sim_id for o in observations}
    sims = {
        pk: _Sim(pk, iccid, site_id, organization.pk)
        for pk, iccid, site_id in Sim.objects.filter(
            pk__in=sim_ids, organization=organization
        ).values_list("pk", "iccid", "site_id")
    }
    presences = {p.sim_id: p for p in SimPresence.objects.filter(sim_id__in=list(sims))}
    site_ids = {s.site_id for s in sims.values() if s.site_id is not None}
    states: dict[int, _SiteState] = {}
    if site_ids:
        sites = Site.objects.select_for_update().filter(pk__in=site_ids).order_by("pk")
        open_outages = {
            so.site_id: so
            for so in SiteOutage.objects.select_related("outage")
            .filter(site_id__in=site_ids)
            .exclude(state=SiteOutageState.CLOSED)
        }
        for site in sites:
            states[site.pk] = _SiteState(site, open_outages.get(site.pk))
        _close_resolved_by_people(states)
        _load_recent_losses(states, since=observations[0].at - window, policy=policy)
        _load_evidence(states)

    changed_presences: dict[int, SimPresence] = {}
    sim_events: list[SimEvent] = []
    for obs in observations:
        sim = sims.get(obs.sim_id)
        if sim is None:
            continue
        presence = presences.get(sim.pk)
        if presence is None:
            if obs.online:  # a SIM never heard of counts as online: nothing changes
                continue
            presence = SimPresence(
                sim_id=sim.pk, organization_id=organization.pk, online=True, changed_at=obs.at
            )
            presences[sim.pk] = presence
        elif obs.at < presence.changed_at:
            report.stale += 1
            continue
        if presence.online == obs.online:
            continue
        report.transitions += 1
        if presence.flap_started_at and obs.at - presence.flap_started_at <= flap_window:
            presence.flap_count += 1
        else:
            presence.flap_started_at, presence.flap_count = obs.at, 1
        flapping = presence.flap_count >= policy.flap_transitions
        presence.online, presence.changed_at = obs.online, obs.at
        presence.event_id, presence.source = obs.event_id, obs.source
        changed_presences[sim.pk] = presence
        if obs.record_sim_event:
            sim_events.append(_sim_event(sim, obs, flapping))
        state = states.get(sim.site_id)
        if state is None:
            continue
        site = state.site
        site.offline_count = max(site.offline_count + (-1 if obs.online else 1), 0)
        site.last_change_at = obs.at
        state.changed = True
        state.samples[obs.at.replace(second=0, microsecond=0)] = (site.online_count, site.sim_count)
        if obs.online:
            state.recent.pop(sim.pk, None)
            _on_restore(state, sim, obs, policy, report)
        else:
            if not flapping:
                state.recent[sim.pk] = (obs.at, obs.event_id)
            _on_loss(state, sim, obs, flapping, policy, window, organization, context, report)

    _save(changed_presences, states, sim_events)
    for state in states.values():
        _write_outage_changes(state, context, report)
    settled = settle(
        organization=organization,
        site_outages=[s.site_outage for s in states.values() if s.site_outage is not None],
    )
    report.outages_resolved += settled.outages_resolved
    report.resolutions_proposed += settled.resolutions_proposed
    return report


def _sim_event(sim: _Sim, obs: Observation, flapping: bool) -> SimEvent:
    event_type = EventType.CONNECTIVITY_RESTORED if obs.online else EventType.CONNECTIVITY_LOST
    category, severity = EVENT_KINDS[event_type]
    return SimEvent(
        sim_id=sim.pk,
        organization_id=sim.organization_id,
        event_type=event_type,
        category=category,
        severity=severity,
        source=EventSource.ONENCE if obs.event_id else EventSource.FLEETOPS,
        upstream_id=str(obs.event_id) if obs.event_id else "",
        description=obs.event_type,
        details={"via": obs.source, "flapping": flapping},
        occurred_at=obs.at,
    )


def _close_resolved_by_people(states: dict[int, _SiteState]) -> None:
    """A site outage whose outage a person resolved (or that is gone) is closed."""
    now = timezone.now()
    for state in states.values():
        site_outage = state.site_outage
        if site_outage is not None and site_outage.outage.status not in OPEN_STATUSES:
            site_outage.state, site_outage.closed_at = SiteOutageState.CLOSED, now
            site_outage.save(update_fields=["state", "closed_at"])
            state.site_outage = None


def _load_recent_losses(states, *, since: datetime, policy) -> None:
    rows = SimPresence.objects.filter(
        online=False, changed_at__gte=since, sim__site_id__in=list(states)
    ).values_list("sim_id", "sim__site_id", "changed_at", "event_id", "flap_count")
    for sim_id, site_id, changed_at, event_id, flaps in rows:
        if flaps < policy.flap_transitions:
            states[site_id].recent[sim_id] = (changed_at, event_id)


def _load_evidence(states) -> None:
    by_outage = {s.site_outage.pk: s for s in states.values() if s.site_outage is not None}
    for evidence in OutageEvidence.objects.filter(site_outage_id__in=list(by_outage)):
        by_outage[evidence.site_outage_id].evidence[evidence.sim_id] = evidence


def _attach(state: _SiteState, sim_id: int, iccid: str, at: datetime, event_id) -> None:
    if sim_id in state.evidence:
        evidence = state.evidence[sim_id]
        if evidence.restored_at is not None:  # lost again
            evidence.restored_at = evidence.restored_event_id = None
            state.restored_evidence.append(evidence)
        return
    evidence = OutageEvidence(
        site_outage=state.site_outage, sim_id=sim_id, lost_at=at, lost_event_id=event_id
    )
    state.evidence[sim_id] = evidence
    state.new_evidence.append(evidence)
    state.timeline.append(
        (
            TimelineKind.EVIDENCE,
            f"SIM {iccid} lost connectivity",
            at,
            {"iccid": iccid, "event_id": event_id, "transition": "lost"},
        )
    )


def _on_loss(state, sim, obs, flapping, policy, window, organization, context, report) -> None:
    site_outage = state.site_outage
    if site_outage is not None:
        if site_outage.state != SiteOutageState.OPEN and state.share_below(
            policy.threshold_percent
        ):
            site_outage.state = SiteOutageState.OPEN
            site_outage.recovered_at = site_outage.recovered_by_id = None
            state.timeline.append(
                (
                    TimelineKind.EVIDENCE,
                    "Online share dropped below the threshold again: recovery cancelled",
                    obs.at,
                    {"iccid": sim.iccid, "event_id": obs.event_id},
                )
            )
        if not flapping:
            _attach(state, sim.pk, sim.iccid, obs.at, obs.event_id)
        return
    cluster = {pk: v for pk, v in state.recent.items() if v[0] >= obs.at - window}
    if len(cluster) < policy.min_sims or not state.share_below(policy.threshold_percent):
        return
    _open(state, cluster, obs, policy, organization, context, report)


def _open(state, cluster, obs, policy, organization, context, report) -> None:
    site = state.site
    first_sim, (first_at, first_event) = min(cluster.items(), key=lambda kv: (kv[1][0], kv[0]))
    iccids = dict(Sim.objects.filter(pk__in=list(cluster)).values_list("pk", "iccid"))
    lost_share = site.offline_count / site.sim_count
    severity = severity_for(lost_share=lost_share, criticality=site.criticality)
    now = timezone.now()
    outage = outage_services.create_outage(
        organization=organization,
        site_name=site.name,
        site_id=site.code,
        severity=severity,
        context=context,
        description=(
            f"{len(cluster)} of {site.sim_count} SIMs at {site.code} lost connectivity "
            f"(online {site.online_count}/{site.sim_count}, threshold "
            f"{policy.threshold_percent}%)."
        ),
        affected_subscribers=len(cluster),
        latitude=site.latitude,
        longitude=site.longitude,
        detected_at=min(first_at, now),
        evidence={
            "iccid": iccids.get(first_sim, ""),
            "event_id": first_event,
            "sims_lost": len(cluster),
            "sims": site.sim_count,
            "online_share_percent": round(100 * site.online_count / site.sim_count, 1),
        },
    )
    state.site_outage = SiteOutage.objects.create(
        organization=organization,
        site=site,
        outage=outage,
        first_loss_at=first_at,
        opened_at=now,
        sims_lost=len(cluster),
    )
    for sim_id, (at, event_id) in sorted(cluster.items(), key=lambda kv: (kv[1][0], kv[0])):
        _attach(state, sim_id, iccids.get(sim_id, ""), at, event_id)
    report.outages_opened.append(outage.public_id)
    record_audit(
        operation="open_site_outage",
        resource_type="outage",
        resource_id=outage.public_id,
        organization=organization,
        context=context,
        request_body={"site": site.code, "sims_lost": len(cluster), "severity": severity},
    )


def _on_restore(state, sim, obs, policy, report) -> None:
    site_outage = state.site_outage
    if site_outage is None:
        return
    evidence = state.evidence.get(sim.pk)
    if evidence is not None and evidence.restored_at is None:
        evidence.restored_at, evidence.restored_event_id = obs.at, obs.event_id
        if evidence.pk is not None:
            state.restored_evidence.append(evidence)
        state.timeline.append(
            (
                TimelineKind.EVIDENCE,
                f"SIM {sim.iccid} regained connectivity",
                obs.at,
                {"iccid": sim.iccid, "event_id": obs.event_id, "transition": "restored"},
            )
        )
    if site_outage.state == SiteOutageState.OPEN and not state.share_below(
        policy.threshold_percent
    ):
        site = state.site
        site_outage.state = SiteOutageState.RECOVERING
        site_outage.recovered_at, site_outage.recovered_by_id = obs.at, sim.pk
        state.timeline.append(
            (
                TimelineKind.EVIDENCE,
                f"Online share back to {site.online_count}/{site.sim_count} "
                f"(threshold {policy.threshold_percent}%): recovering",
                obs.at,
                {"iccid": sim.iccid, "event_id": obs.event_id, "transition": "recovered"},
            )
        )


def _save(changed_presences, states, sim_events) -> None:
    if changed_presences:
        SimPresence.objects.bulk_create(
            list(changed_presences.values()),
            update_conflicts=True,
            unique_fields=["sim"],
            update_fields=[
                "online",
                "changed_at",
                "source",
                "event_id",
                "flap_started_at",
                "flap_count",
            ],
        )
    changed_sites = [s.site for s in states.values() if s.changed]
    if changed_sites:
        Site.objects.bulk_update(changed_sites, ["offline_count", "last_change_at"])
    samples = [
        SiteShareSample(site_id=state.site.pk, at=at, online=online, total=total)
        for state in states.values()
        for at, (online, total) in state.samples.items()
    ]
    if samples:
        SiteShareSample.objects.bulk_create(
            samples,
            update_conflicts=True,
            unique_fields=["site", "at"],
            update_fields=["online", "total"],
        )
    if sim_events:
        SimEvent.objects.bulk_create(sim_events)
        publish_sim_events(sim_events)


def _write_outage_changes(state: _SiteState, context: Context, report) -> None:
    site_outage = state.site_outage
    if site_outage is None:
        return
    if state.new_evidence:
        OutageEvidence.objects.bulk_create(state.new_evidence)
    restored = [e for e in state.restored_evidence if e.pk is not None]
    if restored:
        OutageEvidence.objects.bulk_update(restored, ["restored_at", "restored_event_id"])
    outage = site_outage.outage
    for kind, event, at, details in state.timeline:
        outage_services.add_timeline_entry(
            outage=outage, kind=kind, event=event, context=context, at=at, details=details
        )
    lost = len(state.evidence)
    if lost != site_outage.sims_lost or state.timeline:
        site_outage.sims_lost = lost
        site_outage.save()
    report.evidence_attached += len(state.new_evidence)
    if state.new_evidence and lost != outage.affected_subscribers:
        site = state.site
        changes = {"affected_subscribers": lost}
        severity = severity_for(
            lost_share=site.offline_count / site.sim_count, criticality=site.criticality
        )
        if SEVERITY_RANK.index(severity) > SEVERITY_RANK.index(outage.severity):
            changes["severity"] = severity
        site_outage.outage, _ = outage_services.update_outage(
            outage=outage, changes=changes, context=context
        )
        record_audit(
            operation="attach_outage_evidence",
            resource_type="outage",
            resource_id=outage.public_id,
            organization=site.organization,
            context=context,
            request_body={"sims_added": len(state.new_evidence), "sims_lost": lost},
        )
