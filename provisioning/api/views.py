"""The provisioning API (seed 003): subscribers, their per-aspect updates, queued requests and
the caller's customer authorizations. Views validate nothing themselves: the services apply
``provisioning.validation`` and answer domain errors."""

import functools

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from core.context import Context
from core.errors import InvalidInput
from core.filters import FilterBackend, SearchFilter, SortFilter
from core.idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotent
from core.schema import ORGANIZATION_ID_PARAMETER, answers_errors, calls_upstream
from core.throttling import FleetRateThrottle
from core.viewsets import FleetAPIView, FleetViewMixin, target_organization
from provisioning import selectors, services, validation
from provisioning.api import schemas
from provisioning.api.serializers import (
    CustomerAuthorizationSerializer,
    ProvisioningRequestSerializer,
    SubscriberSerializer,
)
from provisioning.api.throttling import RequestPollingThrottle, SubscriberOperationsThrottle
from provisioning.filters import ProvisioningRequestFilterSet, SubscriberFilterSet
from provisioning.models import CustomerAuthorization, ProvisioningRequest, Subscriber

QUEUE_REQUEST = OpenApiParameter(
    "queue_request",
    bool,
    description="true: accepted for asynchronous processing (202); false (default): 200 when done.",
)
ID_PARAMETER = OpenApiParameter(
    "id",
    str,
    OpenApiParameter.PATH,
    description="ICCID (8931 + 16 digits) or MSISDN (316 + 8 digits, 31970 + 8 digits).",
    pattern=validation.IDENTIFIER_PATTERN,
)


def request_answer(request_row, *, status_code: int = status.HTTP_200_OK) -> Response:
    """Seed 003's user request resource at the top level (``response.json()["request_id"]``
    as its clients read it) and in the envelope's ``data``."""
    resource = ProvisioningRequestSerializer(request_row).data
    return seed_shaped({"data": resource, **resource}, status_code)


def seed_shaped(body: dict, status_code: int) -> Response:
    # The body already carries ``data``: the renderer adds ``success`` and ``meta`` beside it
    # (as for a paginated list) instead of nesting it once more.
    response = Response(body, status=status_code)
    response.paginated = True
    return response


def seed_shaped_idempotent(view_method):
    """``core.idempotency.idempotent`` for a seed-shaped answer: a replayed answer keeps it."""
    guarded = idempotent(view_method)

    @functools.wraps(view_method)
    def wrapper(view, request, *args, **kwargs):
        response = guarded(view, request, *args, **kwargs)
        if response.get("Idempotent-Replayed") == "true" and response.status_code < 300:
            response.paginated = True
        return response

    return wrapper


def queue_requested(request) -> bool:
    value = request.query_params.get("queue_request", "false").strip().lower()
    if value not in ("true", "false", "1", "0"):
        raise InvalidInput(
            [
                {
                    "loc": ["query", "queue_request"],
                    "msg": "value could not be parsed to a boolean",
                    "type": "type_error.bool",
                }
            ]
        )
    return value in ("true", "1")


class SubscriberViewSet(FleetViewMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Subscribers: the organization's mirror (list), PMNL itself (create, read, delete)."""

    serializer_class = SubscriberSerializer
    throttle_classes = [FleetRateThrottle, SubscriberOperationsThrottle]
    filter_backends = [FilterBackend, SearchFilter, SortFilter]
    filterset_class = SubscriberFilterSet
    sort_fields = {"iccid": "iccid", "created_at": "created_at", "cust_id": "cust_id"}
    default_sort = ("iccid", "asc")
    lookup_url_kwarg = "id"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Subscriber.objects.none()
        return selectors.subscribers_for(self.request.user)

    @extend_schema(parameters=[ORGANIZATION_ID_PARAMETER])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @calls_upstream
    @answers_errors(403)
    @extend_schema(
        parameters=[QUEUE_REQUEST, IDEMPOTENCY_KEY_PARAMETER, ORGANIZATION_ID_PARAMETER],
        request={"application/json": schemas.CREATE_BODY},
        responses={200: schemas.REQUEST_ANSWER, 202: schemas.REQUEST_ANSWER},
    )
    @seed_shaped_idempotent
    def create(self, request, *args, **kwargs):
        queued = queue_requested(request)
        row = services.create_subscriber(
            organization=target_organization(request),
            body=request.data,
            queue_request=queued,
            context=Context.from_request(request),
        )
        return request_answer(row, status_code=202 if queued else 200)

    @calls_upstream
    @extend_schema(
        parameters=[ID_PARAMETER, ORGANIZATION_ID_PARAMETER],
        responses={200: schemas.READ_ANSWER},
    )
    def retrieve(self, request, *args, **kwargs):
        answer = services.read_subscriber(
            organization=target_organization(request),
            identifier=kwargs["id"],
            context=Context.from_request(request),
        )
        body = {
            "data": answer.data,
            "status": answer.status,
            "reason": answer.reason,
            "request_id": answer.request_id,
            "cached": answer.cached,
        }
        return seed_shaped(body, status.HTTP_200_OK)

    @calls_upstream
    @answers_errors(403)
    @extend_schema(
        parameters=[ID_PARAMETER, ORGANIZATION_ID_PARAMETER],
        request=None,
        responses={200: schemas.REQUEST_ANSWER},
    )
    def destroy(self, request, *args, **kwargs):
        row = services.delete_subscriber(
            organization=target_organization(request),
            identifier=kwargs["id"],
            context=Context.from_request(request),
        )
        return request_answer(row)


class SubscriberAspectView(FleetAPIView):
    """``PATCH /subscribers/{id}/<aspect>``: one aspect, validated by its rule."""

    aspect = ""
    throttle_classes = [FleetRateThrottle, SubscriberOperationsThrottle]

    def patch(self, request, id):
        row = services.update_subscriber(
            organization=target_organization(request),
            identifier=id,
            aspect=self.aspect,
            body=request.data,
            context=Context.from_request(request),
        )
        return request_answer(row)


def aspect_view(aspect: str) -> type[SubscriberAspectView]:
    """The view of one aspect, with its own request schema in the OpenAPI document."""

    def patch(self, request, id):
        return SubscriberAspectView.patch(self, request, id)

    what = aspect.replace("-", " ")
    patch.__doc__ = (
        f"Update a subscriber's {what}.\n\n"
        f"The body is checked by seed 003's {what} rule (422 naming the field), then sent to "
        "PMNL (synchronously: the answer is the completed request); audited, failures too."
    )
    patch = calls_upstream(
        answers_errors(403)(
            extend_schema(
                operation_id=f"subscribers_{aspect.replace('-', '_')}_partial_update",
                parameters=[ID_PARAMETER, ORGANIZATION_ID_PARAMETER],
                request={"application/json": schemas.aspect_body(aspect)},
                responses={200: schemas.REQUEST_ANSWER},
                tags=["subscribers"],
            )(patch)
        )
    )
    name = "Subscriber" + "".join(p.capitalize() for p in aspect.split("-")) + "View"
    return type(name, (SubscriberAspectView,), {"aspect": aspect, "patch": patch})


ASPECT_VIEWS = {aspect: aspect_view(aspect) for aspect in validation.ASPECTS}


class ProvisioningRequestViewSet(FleetViewMixin, viewsets.ReadOnlyModelViewSet):
    """The caller's provisioning requests (an organization admin: the organization's)."""

    serializer_class = ProvisioningRequestSerializer
    throttle_classes = [FleetRateThrottle, RequestPollingThrottle]
    filter_backends = [FilterBackend, SortFilter]
    filterset_class = ProvisioningRequestFilterSet
    sort_fields = {"created_at": "created_at", "status": "status", "last_updated": "updated_at"}
    default_sort = ("created_at", "desc")
    lookup_url_kwarg = "id"
    lookup_field = "pk"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ProvisioningRequest.objects.none()
        return selectors.requests_for(self.request.user)

    def get_object(self):
        from django.core.exceptions import ValidationError as DjangoValidationError
        from django.http import Http404

        try:
            return super().get_object()
        except DjangoValidationError:  # not a UUID: no such request
            raise Http404 from None

    @extend_schema(
        parameters=[OpenApiParameter("id", str, OpenApiParameter.PATH, description="request_id")],
        responses={200: schemas.REQUEST_ANSWER},
    )
    def retrieve(self, request, *args, **kwargs):
        return request_answer(self.get_object())


class UserAuthorizationViewSet(FleetViewMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The customer ids (cust_id) the caller may provision."""

    serializer_class = CustomerAuthorizationSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return CustomerAuthorization.objects.none()
        return selectors.authorizations_for(self.request.user).order_by("cust_id", "id")
