"""PMNL subscriber operations: create, read, per-aspect update, delete.

Every operation follows one order: validate (422, nothing written), find the organization's
PMNL account (409 ``UPSTREAM_NOT_CONFIGURED``, nothing written), check that the subscriber is
the organization's (404) and the actor may provision its cust_id (403), call PMNL, and only
on success change the mirror. Every operation past validation and the account check, reads
and failures included, writes one audit entry with seed 003's operation code (the AOR
password redacted by ``accounts.audit``).
"""

from typing import Any

import structlog
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.audit import record_audit
from accounts.models import AuditStatus
from core.context import Context
from core.errors import Conflict, NotFound, PermissionDenied
from core.outcomes import upstream_status
from provisioning import events, validation
from provisioning.clients import pmnl_client_for
from provisioning.models import (
    Operation,
    ProvisioningRequest,
    RequestStatus,
    Subscriber,
)
from provisioning.services.authorizations import check_customer
from upstream.exceptions import UpstreamError
from upstream.pmnl import SubscriberRead, UserRequest
from upstream.pmnl.client import PmnlConflict

logger = structlog.get_logger(__name__)

RESOURCE = "subscriber"
ASPECT_OPERATIONS = {
    "aor": Operation.UPDATE_AOR,
    "state": Operation.UPDATE_STATE,
    "apn": Operation.UPDATE_APN,
    "network-access-list": Operation.UPDATE_NETWORK_ACCESS_LIST,
    "credit": Operation.UPDATE_CREDIT,
    "block-data-usage": Operation.UPDATE_BLOCK_DATA_USAGE,
}


# --- audit --------------------------------------------------------------------------------


def _audit(
    context: Context,
    *,
    organization,
    operation: str,
    resource_id: str,
    body: Any = None,
    response_status: int,
    error: str = "",
) -> None:
    record_audit(
        operation=operation,
        resource_type=RESOURCE,
        resource_id=resource_id,
        context=context,  # the actor, address, agent and request id
        organization=organization,
        status=AuditStatus.SUCCESS if response_status < 400 else AuditStatus.FAILED,
        request_body=body,
        response_status=response_status,
        error_message=error,
    )


class _Audited:
    """Audits a failure raised inside the block (a domain refusal or an upstream failure)
    with its status, then lets it propagate; the success entry is the caller's."""

    def __init__(self, context, *, organization, operation, resource_id, body=None):
        self.entry = {
            "organization": organization,
            "operation": operation,
            "resource_id": resource_id,
            "body": body,
        }
        self.context = context

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if exc is None:
            return False
        if isinstance(exc, PmnlConflict):
            status, message = 409, exc.public_message
        elif isinstance(exc, UpstreamError):
            status, message = upstream_status(exc)[0], exc.public_message
        elif isinstance(exc, NotFound | PermissionDenied | Conflict):
            status = {NotFound: 404, PermissionDenied: 403}.get(type(exc), 409)
            message = exc.message
        else:
            return False
        _audit(self.context, response_status=status, error=message, **self.entry)
        if isinstance(exc, PmnlConflict):
            raise Conflict(exc.public_message, details={"upstream": "pmnl"}) from None
        return False


def _lookup(identifier: str) -> dict:
    field = validation.validate_identifier(identifier)
    return {field: identifier}


def _mirrored(*, organization, identifier: str) -> Subscriber | None:
    """The organization's mirror row; ``NotFound`` when the subscriber is another's."""
    row = Subscriber.objects.filter(**_lookup(identifier)).first()
    if row is not None and row.organization_id != organization.pk:
        raise NotFound("Subscriber not found")
    return row


def _upsert_mirror(*, organization, data: dict, actor=None) -> None:
    """Mirror PMNL's view of a subscriber for the organization (never over another's row)."""
    aor = data.get("aor") or {}
    contract = data.get("contract") or {}
    credit = data.get("credit") or {}
    start = contract.get("contract_start")
    values = {
        "organization": organization,
        "msisdn": data["msisdn"],
        "imsi": data.get("imsi") or "",
        "cust_id": data.get("cust_id") or "",
        "admin_info": data.get("admin_info") or "",
        "subscriber_state": bool(data.get("subscriber_state", True)),
        "aor_domain_id": aor.get("domain_id"),
        "aor_username": aor.get("auth_username") or "",
        "apn": data.get("apn"),
        "network_access_list": data.get("network_access_list") or {},
        "block_data_usage": data.get("block_data_usage"),
        "service_package": contract.get("service_package"),
        "service_profile": contract.get("service_profile"),
        "duration": contract.get("duration"),
        "contract_start": parse_datetime(start) if isinstance(start, str) else None,
        "max_credit": credit.get("max_credit"),
        "synced_at": timezone.now() if data.get("imsi") else None,
    }
    # The usual case (a read, a change read back): our row already holds this ICCID and this
    # MSISDN. Each is unique in the mirror, so no other row can hold either, and one update
    # refreshes it without the checks below.
    if Subscriber.objects.filter(
        organization=organization, iccid=data["iccid"], msisdn=data["msisdn"]
    ).update(**values, updated_at=timezone.now()):
        return
    # Another organization's row holds the ICCID or the MSISDN (each is unique in the
    # mirror): that row is theirs, neither overwritten nor a reason to fail our answer.
    taken = Subscriber.objects.filter(Q(iccid=data["iccid"]) | Q(msisdn=data["msisdn"])).exclude(
        organization=organization
    )
    if taken.exists():
        logger.warning("pmnl_subscriber_of_other_organization", iccid=data["iccid"])
        return
    # Another row may hold the MSISDN (a number moved to a new SIM): it was deleted upstream.
    Subscriber.objects.filter(organization=organization, msisdn=data["msisdn"]).exclude(
        iccid=data["iccid"]
    ).delete()
    row, created = Subscriber.objects.update_or_create(iccid=data["iccid"], defaults=values)
    if created and actor is not None:
        Subscriber.objects.filter(pk=row.pk).update(created_by=actor)


def _read_back(*, client, iccid: str, fallback: dict | None) -> dict | None:
    """After a write, what to mirror: the subscriber read back from PMNL (imsi, contract
    start), else the write's own body (the mirror is refreshed on the next read), else None.
    Called before the transaction that records the write: no upstream call inside one."""
    try:
        return client.read_subscriber(iccid).data
    except UpstreamError:
        if fallback is None:
            return None
        return {k: v for k, v in fallback.items() if k != "aor"} | {
            "aor": {k: v for k, v in (fallback.get("aor") or {}).items() if k != "auth_password"}
        }


def _mirror(*, organization, data: dict | None, actor=None) -> None:
    if data is not None:
        _upsert_mirror(organization=organization, data=data, actor=actor)


# --- requests -----------------------------------------------------------------------------


def _as_upstream(cleaned: dict) -> dict:
    """JSON for PMNL: amounts as numbers."""
    body = dict(cleaned)
    if "credit" in body:
        body["credit"] = {"max_credit": float(body["credit"]["max_credit"])}
    if "max_credit" in body:
        body["max_credit"] = float(body["max_credit"])
    return body


def _apply_outcome(request: ProvisioningRequest, outcome: UserRequest) -> None:
    request.status = outcome.status
    request.progress = outcome.progress
    request.request_info = (outcome.request_info or "")[:500] or None
    request.upstream_status = outcome.status
    if outcome.terminal and request.completed_at is None:
        request.completed_at = timezone.now()
    if outcome.status == RequestStatus.FAILED:
        request.error_message = (outcome.request_info or "Provisioning failed.")[:500]


def _record(
    *, organization, context, operation, iccid, outcome, msisdn="", cust_id="", queued=False
):
    request = ProvisioningRequest(
        organization=organization,
        created_by=context.actor,
        operation=operation,
        iccid=iccid,
        msisdn=msisdn,
        cust_id=cust_id,
        queued=queued,
        upstream_request_id=outcome.request_id,
    )
    _apply_outcome(request, outcome)
    request.save()
    if request.terminal:
        events.record_request_outcome(request)
    return request


# --- subscriber operations ----------------------------------------------------------------


def create_subscriber(
    *, organization, body: Any, queue_request: bool, context: Context
) -> ProvisioningRequest:
    """Create a subscriber at PMNL: synchronously (a completed request, the mirror written) or
    queued (a queued request that ``poll_request`` follows until it ends)."""
    cleaned = validation.validate_create(body)
    client = pmnl_client_for(organization=organization)
    iccid = cleaned["iccid"]
    with _Audited(
        context, organization=organization, operation=Operation.CREATE, resource_id=iccid, body=body
    ):
        check_customer(context=context, cust_id=cleaned["cust_id"])
        existing = (
            Subscriber.objects.filter(iccid=iccid).first()
            or Subscriber.objects.filter(msisdn=cleaned["msisdn"]).first()
        )
        if existing is not None:
            if existing.organization_id != organization.pk:
                raise Conflict("Subscriber with this ICCID or MSISDN already exists")
            raise Conflict(
                "Subscriber with this ICCID or MSISDN already exists",
                details={"iccid": existing.iccid},
            )
        pending = ProvisioningRequest.objects.filter(
            organization=organization,
            operation=Operation.CREATE,
            iccid=iccid,
            status__in=[RequestStatus.QUEUED, RequestStatus.PROCESSING],
        ).first()
        if pending is not None:
            raise Conflict(
                "A create of this subscriber is already queued.",
                details={"request_id": str(pending.id)},
            )
        outcome = client.create_subscriber(_as_upstream(cleaned), queue_request=queue_request)
    completed = outcome.status == RequestStatus.COMPLETED
    data = _read_back(client=client, iccid=iccid, fallback=cleaned) if completed else None
    with transaction.atomic():
        request = _record(
            organization=organization,
            context=context,
            operation=Operation.CREATE,
            iccid=iccid,
            msisdn=cleaned["msisdn"],
            cust_id=cleaned["cust_id"],
            outcome=outcome,
            queued=queue_request,
        )
        if completed:
            _mirror(organization=organization, data=data, actor=context.actor)
        _audit(
            context,
            organization=organization,
            operation=Operation.CREATE,
            resource_id=iccid,
            body=body,
            response_status=202 if queue_request else 200,
        )
        if not request.terminal:
            from provisioning.tasks import poll_request  # tasks import services

            transaction.on_commit(lambda: poll_request.schedule(str(request.id)))
    return request


def read_subscriber(*, organization, identifier: str, context: Context) -> SubscriberRead:
    """A subscriber as PMNL answers it now (``cached`` says whether PMNL served it from its
    cache); the organization's mirror is refreshed with it."""
    _lookup(identifier)
    client = pmnl_client_for(organization=organization)
    with _Audited(
        context, organization=organization, operation=Operation.READ, resource_id=identifier
    ):
        _mirrored(organization=organization, identifier=identifier)
        answer = client.read_subscriber(identifier)
    with transaction.atomic():
        _upsert_mirror(organization=organization, data=answer.data)
        _audit(
            context,
            organization=organization,
            operation=Operation.READ,
            resource_id=identifier,
            response_status=200,
        )
    return answer


def _subscriber_for_change(*, organization, client, identifier: str) -> dict:
    """The subscriber's ICCID, cust_id and service profile: from the mirror, else from PMNL."""
    row = _mirrored(organization=organization, identifier=identifier)
    if row is not None:
        return {"iccid": row.iccid, "cust_id": row.cust_id, "profile": row.service_profile}
    data = client.read_subscriber(identifier).data
    _upsert_mirror(organization=organization, data=data)
    return {
        "iccid": data["iccid"],
        "cust_id": data.get("cust_id") or "",
        "profile": (data.get("contract") or {}).get("service_profile"),
    }


def update_subscriber(
    *, organization, identifier: str, aspect: str, body: Any, context: Context
) -> ProvisioningRequest:
    """Change one aspect of a subscriber (``validation.ASPECTS``) at PMNL, then the mirror."""
    cleaned = validation.validate_aspect(aspect, body, identifier=identifier)
    client = pmnl_client_for(organization=organization)
    operation = ASPECT_OPERATIONS[aspect]
    with _Audited(
        context, organization=organization, operation=operation, resource_id=identifier, body=body
    ):
        subscriber = _subscriber_for_change(
            organization=organization, client=client, identifier=identifier
        )
        check_customer(context=context, cust_id=subscriber["cust_id"])
        outcome = client.update_subscriber(
            subscriber["iccid"], aspect=aspect, payload=_as_upstream(cleaned)
        )
    data = _read_back(client=client, iccid=subscriber["iccid"], fallback=None)
    with transaction.atomic():
        request = _record(
            organization=organization,
            context=context,
            operation=operation,
            iccid=subscriber["iccid"],
            cust_id=subscriber["cust_id"],
            outcome=outcome,
        )
        _mirror(organization=organization, data=data)
        _audit(
            context,
            organization=organization,
            operation=operation,
            resource_id=identifier,
            body=body,
            response_status=200,
        )
    return request


def delete_subscriber(*, organization, identifier: str, context: Context) -> ProvisioningRequest:
    """Delete a subscriber at PMNL, then from the mirror."""
    _lookup(identifier)
    client = pmnl_client_for(organization=organization)
    with _Audited(
        context, organization=organization, operation=Operation.DELETE, resource_id=identifier
    ):
        subscriber = _subscriber_for_change(
            organization=organization, client=client, identifier=identifier
        )
        check_customer(context=context, cust_id=subscriber["cust_id"])
        outcome = client.delete_subscriber(subscriber["iccid"])
    with transaction.atomic():
        request = _record(
            organization=organization,
            context=context,
            operation=Operation.DELETE,
            iccid=subscriber["iccid"],
            cust_id=subscriber["cust_id"],
            outcome=outcome,
        )
        Subscriber.objects.filter(organization=organization, iccid=subscriber["iccid"]).delete()
        _audit(
            context,
            organization=organization,
            operation=Operation.DELETE,
            resource_id=identifier,
            response_status=200,
        )
    return request
