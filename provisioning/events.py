"""Provisioning's domain events: a request's outcome, recorded once with the change that
caused it and published on the one event stream (``core.events``: alert rules, webhooks) in the
same transaction."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.events import publish
from provisioning.models import ProvisioningEvent, ProvisioningEventKind, ProvisioningRequest

REQUEST_COMPLETED = ProvisioningEventKind.REQUEST_COMPLETED
REQUEST_FAILED = ProvisioningEventKind.REQUEST_FAILED
# Published under seed 003's roadmap names.
PUBLISHED_AS = {
    REQUEST_COMPLETED: "provisioning.request.completed",
    REQUEST_FAILED: "provisioning.request.failed",
}


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
            event = ProvisioningEvent.objects.create(
                organization_id=request.organization_id,
                request=request,
                kind=kind,
                payload=payload,
                published_at=timezone.now(),
            )
            publish(
                PUBLISHED_AS[kind],
                organization_id=request.organization_id,
                subject=f"provisioning-request:{request.id}",
                data=payload,
            )
            return event
    except IntegrityError:
        return None  # already recorded by another poll
