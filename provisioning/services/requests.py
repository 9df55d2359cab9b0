"""Queued PMNL requests: polled until they complete or fail."""

from datetime import timedelta

import structlog
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from provisioning import events
from provisioning.clients import pmnl_client_for
from provisioning.models import Operation, ProvisioningRequest, RequestStatus
from provisioning.services.subscribers import _apply_outcome, _mirror, _read_back

logger = structlog.get_logger(__name__)


def poll_request(*, request_id) -> ProvisioningRequest:
    """Ask PMNL how a queued request is doing and record it; on its end, the mirror (when it
    completed) and its completed or failed event. Safe to run twice at once: the row is locked
    and the event is written once."""
    request = ProvisioningRequest.objects.select_related("organization").get(pk=request_id)
    if request.terminal:
        return request
    age = timezone.now() - request.created_at
    client = pmnl_client_for(organization=request.organization)
    outcome = None
    if age <= timedelta(seconds=settings.PMNL_REQUEST_TIMEOUT_SECONDS):
        outcome = client.get_request(request.upstream_request_id)
    created = outcome is not None and outcome.status == RequestStatus.COMPLETED
    created = created and request.operation == Operation.CREATE
    data = _read_back(client=client, iccid=request.iccid, fallback=None) if created else None
    with transaction.atomic():
        request = ProvisioningRequest.objects.select_for_update().get(pk=request_id)
        if request.terminal:
            return request
        request.polls += 1
        if outcome is None:
            request.status = RequestStatus.FAILED
            request.completed_at = timezone.now()
            request.error_message = "PMNL did not finish the request in time."
        else:
            _apply_outcome(request, outcome)
        request.save()
        if request.terminal:
            if request.status == RequestStatus.COMPLETED and request.operation == Operation.CREATE:
                _mirror(organization=request.organization, data=data, actor=request.created_by)
            events.record_request_outcome(request)
            logger.info(
                "pmnl_request_finished",
                request_id=str(request.id),
                status=request.status,
                polls=request.polls,
            )
    return request


def pending_request_ids(*, limit: int = 1000) -> list:
    """Queued requests not yet terminal, oldest first (what the minute job polls)."""
    return list(
        ProvisioningRequest.objects.filter(
            status__in=[RequestStatus.QUEUED, RequestStatus.PROCESSING]
        )
        .order_by("created_at")
        .values_list("id", flat=True)[:limit]
    )
