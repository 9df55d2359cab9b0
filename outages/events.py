"""The outage outbox: typed events (``outage.created``, ``outage.resolved``, ``sla.warning``,
``sla.breached``, ``sla.calculated``, ...) written with the change that caused them.

The hook for alerting is :func:`publish_outage_events`: give it a ``publish(event)`` callable
(alert rules, webhooks); it hands over each unpublished event in order and marks it published
only once ``publish`` returned, so a crash re-sends rather than loses (consumers dedupe on
``event.pk``). Two runs at once never hand over the same event (rows claimed SKIP LOCKED).
"""

from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from outages.models import OutageEvent

BATCH = 200


def publish_outage_events(publish: Callable[[OutageEvent], None], *, limit: int = BATCH) -> int:
    """Hand up to ``limit`` unpublished events to ``publish``; answer how many were published."""
    published = 0
    with transaction.atomic():
        events = (
            OutageEvent.objects.filter(published_at__isnull=True)
            .select_related("outage")
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("occurred_at", "id")[:limit]
        )
        for event in events:
            publish(event)
            event.published_at = timezone.now()
            event.save(update_fields=["published_at"])
            published += 1
    return published


def event_message(event: OutageEvent) -> dict:
    """Seed 004's webhook payload of an event."""
    return {
        "event": event.kind,
        "timestamp": event.occurred_at.isoformat().replace("+00:00", "Z"),
        "data": event.payload,
    }
