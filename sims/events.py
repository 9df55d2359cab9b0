"""Recording SIM events. Call inside the transaction of the change that caused the event.

The SIM events that others may act on are also published as typed domain events
(``core.events``: ``sim.activated``, ``quota.threshold_reached``, ...) in the same
transaction; ``record_event`` and the bulk writers (``publish_sim_events``) do both.
"""

from collections.abc import Iterable

from django.utils import timezone

from core.events import publish_many
from sims.models import EventCategory, EventSource, EventType, Severity, Sim, SimEvent

# The category and default severity of each event type (seed 000 US-019 and our own).
EVENT_KINDS: dict[str, tuple[str, str]] = {
    EventType.SIM_ACTIVATED: (EventCategory.LIFECYCLE, Severity.INFO),
    EventType.SIM_SUSPENDED: (EventCategory.LIFECYCLE, Severity.WARNING),
    EventType.SIM_TERMINATED: (EventCategory.LIFECYCLE, Severity.CRITICAL),
    EventType.STATUS_CHANGED: (EventCategory.LIFECYCLE, Severity.INFO),
    EventType.SIM_MISSING: (EventCategory.LIFECYCLE, Severity.WARNING),
    EventType.QUOTA_THRESHOLD_REACHED: (EventCategory.QUOTA, Severity.WARNING),
    EventType.QUOTA_TOPPED_UP: (EventCategory.QUOTA, Severity.INFO),
    EventType.CONNECTIVITY_LOST: (EventCategory.CONNECTIVITY, Severity.CRITICAL),
    EventType.CONNECTIVITY_RESTORED: (EventCategory.CONNECTIVITY, Severity.INFO),
    EventType.CONNECTIVITY_RESET: (EventCategory.CONNECTIVITY, Severity.INFO),
    EventType.CONFIGURATION_CHANGED: (EventCategory.CONFIGURATION, Severity.INFO),
    EventType.SMS_RECEIVED: (EventCategory.MESSAGING, Severity.INFO),
    EventType.USAGE_SYNC_FAILED: (EventCategory.SYNC, Severity.WARNING),
    EventType.LIMIT_APPROACHED: (EventCategory.QUOTA, Severity.WARNING),
    EventType.UPSTREAM_EVENT: (EventCategory.NETWORK, Severity.INFO),
}


# SIM event types that are domain events, by their stable published name.
PUBLISHED_AS: dict[str, str] = {
    EventType.SIM_ACTIVATED: "sim.activated",
    EventType.SIM_SUSPENDED: "sim.suspended",
    EventType.QUOTA_THRESHOLD_REACHED: "quota.threshold_reached",
    EventType.QUOTA_TOPPED_UP: "quota.topped_up",
    EventType.CONNECTIVITY_LOST: "connectivity.lost",
    EventType.CONNECTIVITY_RESTORED: "connectivity.restored",
    EventType.SMS_RECEIVED: "sms.received",
    EventType.USAGE_SYNC_FAILED: "sync.failed",
    EventType.LIMIT_APPROACHED: "limit.approached",
}


def publish_sim_events(events: Iterable[SimEvent]) -> None:
    """Publish the domain events among ``events`` (already saved or being saved in this
    transaction). The payload is seed 001's: the ICCID and the event's details, plus the
    SIM's tags and the severity for alert rules."""
    events = [event for event in events if event.event_type in PUBLISHED_AS]
    if not events:
        return
    sims = {
        sim_id: (iccid, tags)
        for sim_id, iccid, tags in Sim.objects.filter(
            pk__in={event.sim_id for event in events}
        ).values_list("id", "iccid", "tags")
    }
    publish_many(
        (
            PUBLISHED_AS[event.event_type],
            event.organization_id,
            f"sim:{sims[event.sim_id][0]}",
            {
                "iccid": sims[event.sim_id][0],
                **event.details,
                "severity": event.severity,
                "tags": sims[event.sim_id][1] or [],
            },
            event.occurred_at,
        )
        for event in events
        if event.sim_id in sims
    )


def record_event(
    *,
    sim: Sim,
    event_type: str,
    description: str = "",
    details: dict | None = None,
    severity: str | None = None,
    source: str = EventSource.FLEETOPS,
    upstream_id: str = "",
    occurred_at=None,
) -> SimEvent:
    """Write one event for ``sim``; category and default severity follow ``event_type``."""
    category, default_severity = EVENT_KINDS[event_type]
    event = SimEvent.objects.create(
        sim=sim,
        organization_id=sim.organization_id,
        event_type=event_type,
        category=category,
        severity=severity or default_severity,
        source=source,
        upstream_id=upstream_id,
        description=description,
        details=details or {},
        occurred_at=occurred_at or timezone.now(),
    )
    publish_sim_events([event])
    return event
