"""1NCE's SIM events, pulled into our event table so one query serves the merged history."""

from django.core.cache import cache
from django.db import IntegrityError, transaction

from sims.events import EVENT_KINDS, publish_sim_events
from sims.models import EventSource, EventType, Severity, Sim, SimEvent
from sims.services.clients import onence_client_for
from upstream.exceptions import UpstreamError

EVENTS_FRESH_KEY = "sims:events-fresh:{}"
EVENTS_FRESH_SECONDS = 60

# 1NCE event types that are one of ours (seed 000 US-019); the rest stay "upstream_event".
UPSTREAM_EVENT_TYPES = {
    "update location": EventType.UPSTREAM_EVENT,
    "create pdp context": EventType.CONNECTIVITY_RESTORED,
    "delete pdp context": EventType.CONNECTIVITY_LOST,
    "purge location": EventType.CONNECTIVITY_LOST,
    "sim activated": EventType.SIM_ACTIVATED,
    "sim enabled": EventType.SIM_ACTIVATED,
    "sim disabled": EventType.SIM_SUSPENDED,
    "threshold reached": EventType.QUOTA_THRESHOLD_REACHED,
    "quota threshold reached": EventType.QUOTA_THRESHOLD_REACHED,
}
UPSTREAM_SEVERITIES = {
    "info": Severity.INFO,
    "warn": Severity.WARNING,
    "warning": Severity.WARNING,
    "error": Severity.CRITICAL,
    "critical": Severity.CRITICAL,
}


def event_type_for(upstream_type: str) -> str:
    text = (upstream_type or "").strip().lower()
    for needle, event_type in UPSTREAM_EVENT_TYPES.items():
        if needle in text:
            return event_type
    return EventType.UPSTREAM_EVENT


def refresh_upstream_events(*, sim: Sim, pages: int = 1) -> int:
    """Store 1NCE's newest events of ``sim`` (at most once a minute per SIM); returns how
    many were new. 1NCE being down is not an error here: our history is still served."""
    if not cache.add(EVENTS_FRESH_KEY.format(sim.pk), 1, timeout=EVENTS_FRESH_SECONDS):
        return 0
    client = onence_client_for(organization=sim.organization)
    added = 0
    try:
        for number in range(1, pages + 1):
            page = client.get_events_page(sim.iccid, page=number)
            added += store_upstream_events(sim=sim, events=page.items)
            if not page.has_next:
                break
    except UpstreamError:
        cache.delete(EVENTS_FRESH_KEY.format(sim.pk))
    return added


def store_upstream_events(*, sim: Sim, events) -> int:
    known = set(
        SimEvent.objects.filter(sim=sim, source=EventSource.ONENCE).values_list(
            "upstream_id", flat=True
        )
    )
    rows = []
    for event in events:
        upstream_id = str(event.id) if event.id is not None else ""
        if not upstream_id or upstream_id in known or event.timestamp is None:
            continue
        event_type = event_type_for(event.event_type)
        category, severity = EVENT_KINDS[event_type]
        rows.append(
            SimEvent(
                sim=sim,
                organization_id=sim.organization_id,
                event_type=event_type,
                category=category,
                severity=UPSTREAM_SEVERITIES.get((event.severity or "").lower(), severity),
                source=EventSource.ONENCE,
                upstream_id=upstream_id,
                description=event.description or event.event_type,
                details={
                    "upstream_type": event.event_type,
                    "country": event.country,
                    "operator": event.operator,
                    "imei": event.imei,
                },
                occurred_at=event.timestamp,
            )
        )
    if not rows:
        return 0
    try:
        with transaction.atomic():
            publish_sim_events(SimEvent.objects.bulk_create(rows))
    except IntegrityError:  # a concurrent refresh stored them first
        return 0
    return len(rows)
