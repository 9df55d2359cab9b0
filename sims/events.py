"""Recording SIM events. Call inside the transaction of the change that caused the event."""

from django.utils import timezone

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
    EventType.UPSTREAM_EVENT: (EventCategory.NETWORK, Severity.INFO),
}


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
    return SimEvent.objects.create(
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
