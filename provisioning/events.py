"""Provisioning's domain events: written in the transaction of the change that caused them,
read later by whoever publishes them (alert rules, webhooks).

The hook for a publisher: ``unpublished_events()`` gives the events not yet handed on, oldest
first; after publishing one, ``mark_published(event_ids)``. Nothing here sends anything.
"""

from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils import timezone

from provisioning.models import ProvisioningEvent, ProvisioningEventKind, ProvisioningRequest

REQUEST_COMPLETED = ProvisioningEventKind.REQUEST_COMPLETED
REQUEST_FAILED = ProvisioningEventKind.REQUEST_FAILED


def record_request_outcome(request: ProvisioningRequest) -> ProvisioningEvent | None:
    """The completed or failed event of a terminal request, once (a repeat writes nothing)."""
    kind = REQUEST_FAILED if request.status == "failed" else REQUEST_COMPLETED
    payload = {
        "request_id": str(request.id),
        "operation": request.operation,
        "iccid": request.iccid,
        "status": request.status,
        "queued": request.queued,
        "error": request.error_message,
        "duration_seconds": (
            round((request.completed_at - request.created_at).total_seconds(), 3)
            if request.completed_at
            else None
        ),
    }
    try:
        with transaction.atomic():
            return ProvisioningEvent.objects.create(
                organization_id=request.organization_id, request=request, kind=kind, payload=payload
            )
    except IntegrityError:
        return None  # already recorded by another poll


def unpublished_events(*, limit: int = 500) -> list[ProvisioningEvent]:
    return list(
        ProvisioningEvent.objects.filter(published_at__isnull=True)
        .select_related("request")
        .order_by("created_at", "id")[:limit]
    )


def mark_published(event_ids: Iterable[int]) -> int:
    return ProvisioningEvent.objects.filter(
        pk__in=list(event_ids), published_at__isnull=True
    ).update(published_at=timezone.now())
