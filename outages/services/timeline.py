"""What every outage change writes beside itself: a timeline entry, an outbox event, an audit
entry. Called inside the transaction of the change."""

from datetime import datetime

from django.utils import timezone

from accounts.audit import record_audit
from core.context import Context
from core.events import publish
from outages.models import Outage, OutageEvent, TimelineEntry, TimelineKind

SYSTEM_NAME = "system"


def actor_name(context: Context) -> str:
    return context.actor.get_username() if context.actor is not None else SYSTEM_NAME


def add_timeline_entry(
    *,
    outage: Outage,
    kind: str,
    event: str,
    context: Context,
    at: datetime | None = None,
    details: dict | None = None,
) -> TimelineEntry:
    """One line of the outage's timeline (seed 004: timestamp, event, user)."""
    return TimelineEntry.objects.create(
        outage=outage,
        occurred_at=at or timezone.now(),
        kind=kind,
        event=event[:500],
        actor=context.actor,
        actor_name=actor_name(context),
        details=details or {},
    )


# Outage event kinds by the stable name they are published under (``core.events``).
PUBLISHED_AS = {
    "sla.warning": "outage.breach_imminent",
    "sla.breached": "outage.breached",
}


def emit_event(
    *, outage: Outage, kind: str, payload: dict | None = None, at: datetime | None = None
) -> OutageEvent:
    """Record a typed event of the outage and publish it on the one event stream
    (``core.events``: alert rules and webhooks) in the same transaction."""
    event = OutageEvent.objects.create(
        organization_id=outage.organization_id,
        outage=outage,
        kind=kind,
        payload={
            "outage_id": outage.public_id,
            "site_id": outage.site_id,
            "severity": outage.severity,
            **(payload or {}),
        },
        occurred_at=at or timezone.now(),
        published_at=timezone.now(),
    )
    publish(
        PUBLISHED_AS.get(kind, kind),
        organization_id=outage.organization_id,
        subject=f"outage:{outage.public_id}",
        data=event.payload,
        occurred_at=event.occurred_at,
    )
    return event


def audit(*, operation: str, outage: Outage, context: Context, body=None) -> None:
    record_audit(
        operation=operation,
        resource_type="outage",
        resource_id=outage.public_id,
        user=context.actor,
        organization=outage.organization,
        request_body=body,
    )  # context: address and agent once record_audit takes a Context


def record_payment_on_timeline(
    *, outage: Outage, event: str, context: Context, details: dict | None = None
) -> TimelineEntry:
    """For the payments app: a payment step of the outage's SLA settlement (submitted,
    confirmed, failed) on its timeline, in the payment's transaction."""
    return add_timeline_entry(
        outage=outage, kind=TimelineKind.PAYMENT, event=event, context=context, details=details
    )
