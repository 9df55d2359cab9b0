"""Seed 003's legacy facade ``/api/pmnl/*``: the v4 shapes (``Iccid``, ``MsIsdn``,
``Aor.AuthPassword``, ...) translated by ``provisioning.legacy`` to the v1 bodies and handed
to the same services; answers translated back. Errors keep the envelope."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from core.context import Context
from core.errors import InvalidInput
from core.idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotent
from core.schema import answers_errors, calls_upstream
from core.throttling import FleetRateThrottle
from core.viewsets import FleetAPIView, target_organization
from provisioning import legacy, services, validation
from provisioning.api.serializers import ProvisioningRequestSerializer
from provisioning.api.throttling import SubscriberOperationsThrottle
from provisioning.api.views import queue_requested

LEGACY_OBJECT = {"type": "object", "additionalProperties": True}
LEGACY_SCHEMA = {"responses": {200: LEGACY_OBJECT}, "extensions": {"x-envelope": False}}


def _legacy_request(row, status_code=status.HTTP_200_OK) -> Response:
    return Response(legacy.to_legacy(ProvisioningRequestSerializer(row).data), status=status_code)


def _object_body(data) -> dict:
    if not isinstance(data, dict):
        raise InvalidInput(
            [{"loc": ["body"], "msg": "value is not a valid dict", "type": "type_error.dict"}]
        )
    return legacy.from_legacy(data)


def _identifier(body: dict) -> str:
    """Exactly one of ``Iccid`` / ``MsIsdn``."""
    given = [name for name in ("iccid", "msisdn") if body.get(name) not in (None, "")]
    if len(given) != 1:
        raise InvalidInput(
            [
                {
                    "loc": ["body"],
                    "msg": "Exactly one of Iccid or MsIsdn is required",
                    "type": "value_error",
                }
            ]
        )
    return body[given[0]]


class LegacyView(FleetAPIView):
    envelope = False
    throttle_classes = [FleetRateThrottle, SubscriberOperationsThrottle]


class CreateSubView(LegacyView):
    """Create a subscriber at PMNL in the v4 shape.

    ``QueueRequest: true`` (or ``?queue_request=true``) queues it and answers 202.
    """

    @calls_upstream
    @answers_errors(403)
    @extend_schema(
        request={"application/json": LEGACY_OBJECT},
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses={200: LEGACY_OBJECT, 202: LEGACY_OBJECT},
        extensions={"x-envelope": False},
    )
    @idempotent
    def post(self, request):
        body = _object_body(request.data)
        # ``QueueRequest: true`` in the body, or ``?queue_request=true`` as in v1.
        queued = body.pop("queue_request", False) is True or queue_requested(request)
        row = services.create_subscriber(
            organization=target_organization(request),
            body=body,
            queue_request=queued,
            context=Context.from_request(request),
        )
        return _legacy_request(row, status.HTTP_202_ACCEPTED if queued else status.HTTP_200_OK)


class ReadSubView(LegacyView):
    """A read by POST (``{"Iccid": ...}`` or ``{"MsIsdn": ...}``): viewers may call it.

    Answers the subscriber as PMNL has it, in the v4 shape.
    """

    write_roles = frozenset({"admin", "operator", "viewer"})

    @calls_upstream
    @extend_schema(request={"application/json": LEGACY_OBJECT}, **LEGACY_SCHEMA)
    def post(self, request):
        body = _object_body(request.data)
        validation.validate_members(body, ("iccid", "msisdn"))
        answer = services.read_subscriber(
            organization=target_organization(request),
            identifier=_identifier(body),
            context=Context.from_request(request),
        )
        return Response(
            legacy.to_legacy(
                {
                    "data": answer.data,
                    "status": answer.status,
                    "reason": answer.reason,
                    "request_id": answer.request_id,
                    "cached": answer.cached,
                }
            )
        )


class UpdateSubView(LegacyView):
    """Dispatches on the one aspect member present (``Aor``, ``SubscriberState``, ``Apn``,
    ``NetworkAccessList``, ``Credit``, ``BlockDataUsage``) to that aspect's update.

    Exactly one aspect member per call, with ``Iccid`` or ``MsIsdn``.
    """

    @calls_upstream
    @answers_errors(403)
    @extend_schema(request={"application/json": LEGACY_OBJECT}, **LEGACY_SCHEMA)
    def post(self, request):
        body = _object_body(request.data)
        # Keys it does not know are named, not dispatched on nor ignored.
        validation.validate_members(body, ("iccid", "msisdn", *legacy.UPDATE_MEMBERS))
        identifier = _identifier(body)
        present = [member for member in legacy.UPDATE_MEMBERS if member in body]
        if len(present) != 1:
            names = ", ".join(legacy.to_legacy(dict.fromkeys(legacy.UPDATE_MEMBERS)))
            raise InvalidInput(
                [
                    {
                        "loc": ["body"],
                        "msg": f"Exactly one of {names} is required",
                        "type": "value_error",
                    }
                ]
            )
        member = present[0]
        aspect = legacy.UPDATE_MEMBERS[member]
        value = body[member]
        aspect_body = {"subscriber_state": value} if aspect == "state" else value
        row = services.update_subscriber(
            organization=target_organization(request),
            identifier=identifier,
            aspect=aspect,
            body=aspect_body,
            context=Context.from_request(request),
        )
        return _legacy_request(row)


class DeleteSubView(LegacyView):
    """Delete a subscriber at PMNL by its ICCID.

    Answers the provisioning request in the v4 shape.
    """

    @calls_upstream
    @answers_errors(403, 422)  # 422: not an ICCID PMNL knows the shape of
    @extend_schema(
        parameters=[OpenApiParameter("iccid", str, OpenApiParameter.PATH)], **LEGACY_SCHEMA
    )
    def delete(self, request, iccid):
        row = services.delete_subscriber(
            organization=target_organization(request),
            identifier=iccid,
            context=Context.from_request(request),
        )
        return _legacy_request(row)
