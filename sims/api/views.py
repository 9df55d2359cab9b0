from django.shortcuts import get_object_or_404
from django.utils.functional import cached_property
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.context import Context
from core.exceptions import Unprocessable
from core.filters import filtered
from core.identifiers import ICCID_SEGMENT, normalize_iccid
from core.renderers import RenderedJSON, written
from core.responses import JobAcceptedSerializer, job_accepted
from core.schema import ORGANIZATION_ID_PARAMETER, calls_upstream
from core.viewsets import FleetAPIView, FleetViewSet, TenantScopedMixin, takes_no_body
from sims import cache as sim_cache
from sims import services
from sims.api.serializers import (
    ConnectivitySerializer,
    LimitsSerializer,
    OrderCreateSerializer,
    OrderSerializer,
    ProductSerializer,
    ResetRequestSerializer,
    ResetSerializer,
    SimChangeSerializer,
    SimConfigResultSerializer,
    SimConfigureSerializer,
    SimDetailSerializer,
    SimEventSerializer,
    SimLimitsSerializer,
    SimSerializer,
    SimStatusSerializer,
)
from sims.filters import SimEventFilterSet, SimFilterSet
from sims.models import (
    EventCategory,
    EventSource,
    EventType,
    Order,
    Severity,
    Sim,
    SimStatus,
)
from sims.selectors import (
    effective_limits,
    latest_reset,
    sim_events,
    sim_limits,
)
from sims.services.events import refresh_upstream_events
from sims.services.jobs import start_configure_sims, start_sync_all
from sims.services.limits import global_limits, set_limits
from sims.services.orders import list_products, place_order, refresh_order

# Larger batches of POST /sims run as a job.
INLINE_CONFIGURE_LIMIT = 50


class SimViewSet(FleetViewSet):
    """The SIM inventory mirror and the operations on one SIM."""

    queryset = Sim.objects.all()
    serializer_class = SimSerializer
    filterset_class = SimFilterSet
    lookup_field = "iccid"
    # Never /sims/limits, /sims/topup, ...: those route to their own views in any include order.
    lookup_value_regex = ICCID_SEGMENT
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    sort_fields = {
        "created_at": "created_at",
        "activation_date": "activation_date",
        "status": "status",
        "label": "label",
        "iccid": "iccid",
        "last_synced_at": "last_synced_at",
    }
    default_sort = ("created_at", "desc")

    def get_serializer_class(self):
        if self.action in ("retrieve", "update", "partial_update", "sync"):
            return SimDetailSerializer
        return SimSerializer

    def get_object(self) -> Sim:
        """The SIM of the path, its organization with it (for the writes' services)."""
        iccid = normalize_iccid(self.kwargs["iccid"])  # 400 INVALID_ICCID before any lookup
        sim = get_object_or_404(self.get_queryset().select_related("organization"), iccid=iccid)
        self.check_object_permissions(self.request, sim)
        return sim

    def cached(self, kind: str, ttl: int, compute):
        """The answer from the organization's read cache (platform superusers, who see every
        organization, are not cached: no single version covers them)."""
        user = self.request.user
        if user.is_superuser:
            return compute()
        return sim_cache.cached(
            kind,
            user.organization_id,
            self.request.get_full_path(),
            ttl,
            compute,
            write=written,
            read=RenderedJSON,
            seen=self.cache_versions,
        )

    @cached_property
    def cache_versions(self) -> dict:
        """The read cache's versions this request has read (one view instance per request)."""
        return {}

    def list(self, request, *args, **kwargs):
        def compute():
            response = super(SimViewSet, self).list(request, *args, **kwargs)
            return response.data

        response = Response(self.cached("list", sim_cache.LIST_TTL, compute))
        response.paginated = True
        return response

    def count_generation(self) -> str | None:
        """The list's totals are cached per organization version (``core.pagination``)."""
        user = self.request.user
        if user.is_superuser or user.organization_id is None:
            return None
        return sim_cache.generation(user.organization_id, seen=self.cache_versions)

    def retrieve(self, request, *args, **kwargs):
        """The cache first: its keys are the caller's organization's, and an answer is stored
        there only after the scoped lookup found the SIM in that organization, so a hit needs
        no query and another organization's caller never reaches it (404 from the lookup)."""
        iccid = normalize_iccid(self.kwargs["iccid"])  # 400 INVALID_ICCID before the cache
        return Response(
            self.cached(
                "detail",
                sim_cache.DETAIL_TTL,
                lambda: self.read_one(self.get_queryset(), SimDetailSerializer(), iccid=iccid),
            )
        )

    @calls_upstream
    @extend_schema(request=SimChangeSerializer, responses={200: SimDetailSerializer})
    def update(self, request, *args, **kwargs):
        sim = self.get_object()
        changes = SimChangeSerializer(data=request.data)
        changes.is_valid(raise_exception=True)
        sim = services.update_sim(
            sim=sim, changes=changes.validated_data, context=Context.from_request(request)
        )
        return Response(SimDetailSerializer(sim).data)

    partial_update = update

    @calls_upstream
    @extend_schema(
        request=SimConfigureSerializer,
        responses={201: SimConfigResultSerializer, 202: JobAcceptedSerializer},
        parameters=[ORGANIZATION_ID_PARAMETER],
    )
    def create(self, request, *args, **kwargs):
        """Configure up to 1,000 SIMs; more than 50 run as a job (202).

        Each SIM's label, IMEI lock, status, tags and metadata are set at 1NCE first, then in
        the mirror; the answer lists each SIM's result (200, or 422 when none was configured).
        Over 50 SIMs the answer is 202 with the job's ``job_id`` and ``status_url``."""
        serializer = SimConfigureSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        items = serializer.validated_data["sims"]
        organization = self.target_organization()
        if len(items) > INLINE_CONFIGURE_LIMIT:
            job = start_configure_sims(
                organization=organization, items=items, context=Context.from_request(request)
            )
            return job_accepted(request, job)
        result = services.configure_sims(
            organization=organization, items=items, context=Context.from_request(request)
        )
        if result["failed"] == len(items):
            raise Unprocessable(message="No SIM could be configured.", details=result)
        return Response(result, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: SimStatusSerializer})
    @action(detail=True, methods=["get"])
    def status(self, request, iccid=None):
        """Get a SIM's status from the mirror.

        The status as last synced from 1NCE with what it means (active, expired, suspended,
        missing at 1NCE), the activation date and when it was last checked; 1NCE is not called."""
        sim = self.get_object()
        return Response(
            {
                "iccid": sim.iccid,
                "status": sim.status,
                "status_details": {
                    "is_active": sim.status == SimStatus.ENABLED,
                    "is_expired": sim.status == SimStatus.EXPIRED,
                    "is_suspended": sim.status in (SimStatus.DISABLED, SimStatus.SUSPENDED),
                    "missing_upstream": sim.missing_upstream_since is not None,
                },
                "activation_date": sim.activation_date,
                "last_checked": sim.last_synced_at,
            }
        )

    @calls_upstream
    @extend_schema(responses={200: ConnectivitySerializer})
    @action(detail=True, methods=["get"])
    def connectivity(self, request, iccid=None):
        """Get a SIM's live connectivity from 1NCE.

        Network registration, session and location as 1NCE sees them now, cached for
        ``CONNECTIVITY_CACHE_SECONDS`` (30 s); while 1NCE is down or slow, the last stored
        snapshot flagged ``stale: true``."""
        return Response(services.live_connectivity(sim=self.get_object()))

    @calls_upstream
    @extend_schema(request=ResetRequestSerializer, responses={202: ResetSerializer})
    @action(detail=True, methods=["post"])
    def reset(self, request, iccid=None):
        """Reset a SIM's connectivity.

        Asks 1NCE to drop the SIM's network registration so the device reattaches; answers 202
        with ``expected_completion`` and the ``status_url`` to follow it. Audited."""
        sim = self.get_object()
        ResetRequestSerializer(data=request.data).is_valid(raise_exception=True)
        reset = services.request_reset(sim=sim, context=Context.from_request(request))
        return Response(ResetSerializer(reset).data, status=status.HTTP_202_ACCEPTED)

    @calls_upstream
    @extend_schema(request=ResetRequestSerializer, responses={202: ResetSerializer})
    @action(detail=True, methods=["post"], url_path="connectivity/reset")
    def connectivity_reset(self, request, iccid=None):
        """Reset a SIM's connectivity (seed 001's path).

        The same reset as ``POST /api/v1/sims/{iccid}/reset``, under the path seed 001's clients
        call: 202 with ``expected_completion`` and the ``status_url``."""
        return self.reset(request, iccid=iccid)

    @calls_upstream
    @extend_schema(responses={200: ResetSerializer})
    @action(detail=True, methods=["get"], url_path="reset/status")
    def reset_status(self, request, iccid=None):
        """Follow a SIM's latest connectivity reset.

        ``pending`` until a new session shows up at 1NCE (then ``completed``), or ``failed``
        when none has ``RESET_GRACE_SECONDS`` after the expected completion; 404 when the SIM
        was never reset."""
        sim = self.get_object()
        reset = services.check_reset(reset=latest_reset(sim=sim))
        return Response(ResetSerializer(reset).data)

    @calls_upstream
    @extend_schema(request=None, responses={200: SimDetailSerializer})
    @action(detail=True, methods=["post"])
    @takes_no_body
    def sync(self, request, iccid=None):
        """Sync one SIM from 1NCE now.

        Reads the SIM at 1NCE, updates the mirror (status changes become events) and answers
        the SIM's detail."""
        sim = services.sync_one(sim=self.get_object())
        return Response(SimDetailSerializer(sim).data)

    @calls_upstream
    @extend_schema(
        request=None, responses={202: JobAcceptedSerializer}, parameters=[ORGANIZATION_ID_PARAMETER]
    )
    @action(detail=False, methods=["post"], url_path="sync-all")
    @takes_no_body
    def sync_all(self, request):
        """Sync every SIM of the organization as a job.

        202 with the job (``GET /api/v1/jobs/{id}`` follows it); while a sync of the
        organization is queued or running, its job is answered instead of queuing another."""
        job, _ = start_sync_all(
            organization=self.target_organization(), context=Context.from_request(request)
        )
        return job_accepted(request, job)

    @calls_upstream
    @extend_schema(
        responses={200: SimEventSerializer(many=True)},
        # The events' own filters (SimEventFilterSet); the SIM list's are not theirs.
        parameters=[
            OpenApiParameter("event_type", str, many=True, enum=EventType.values),
            OpenApiParameter("category", str, enum=EventCategory.values),
            OpenApiParameter("severity", str, enum=Severity.values),
            OpenApiParameter("source", str, enum=EventSource.values),
            OpenApiParameter("start_date", str),
            OpenApiParameter("end_date", str),
        ],
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def events(self, request, iccid=None):
        """List a SIM's events.

        1NCE's events (refreshed at most once a minute) merged with ours (status and
        configuration changes, top-ups, resets), newest first; filter with ``event_type``,
        ``start_date`` and ``end_date``."""
        sim = self.get_object()
        filterset = SimEventFilterSet(request.query_params, queryset=sim_events(sim=sim))
        events = filtered(filterset)  # bad filters answer 422 before 1NCE is asked
        refresh_upstream_events(sim=sim)
        page = self.paginate_queryset(events)
        return self.get_paginated_response(SimEventSerializer(page, many=True).data)

    @extend_schema(
        methods=["GET"],
        responses={200: LimitsSerializer},
        operation_id="sims_global_limits",
        parameters=[ORGANIZATION_ID_PARAMETER],
    )
    @extend_schema(
        methods=["POST"],
        request=LimitsSerializer,
        responses={200: LimitsSerializer},
        operation_id="sims_global_limits_set",
        parameters=[ORGANIZATION_ID_PARAMETER],
    )
    @action(detail=False, methods=["get", "post"], url_path="limits")
    def global_limits(self, request):
        """GET: Get the organization's SIM limits. The SMS destination allow and deny lists
        every SIM of the organization follows unless it has its own.

        POST: Set the organization's SIM limits. Sets the fields sent, keeps the others, and
        applies to every SIM without its own; audited."""
        organization = self.target_organization()
        if request.method == "GET":
            return Response(LimitsSerializer(global_limits(organization=organization)).data)
        serializer = LimitsSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        limits = set_limits(
            organization=organization,
            values=serializer.validated_data,
            context=Context.from_request(request),
        )
        return Response(LimitsSerializer(limits).data)

    @extend_schema(methods=["GET"], responses={200: SimLimitsSerializer})
    @extend_schema(methods=["PUT"], request=LimitsSerializer, responses={200: SimLimitsSerializer})
    @action(detail=True, methods=["get", "put"], url_path="limits")
    def limits(self, request, iccid=None):
        """GET: Get a SIM's limits. The SIM's own overrides (``limits``, null without any) and
        the ``effective`` ones: its own where set, else the organization's.

        PUT: Set a SIM's own limits. Sets the fields sent as the SIM's overrides of the
        organization's limits; answers them with the effective limits. Audited."""
        sim = self.get_object()
        if request.method == "PUT":
            serializer = LimitsSerializer(data=request.data, partial=True)
            serializer.is_valid(raise_exception=True)
            set_limits(
                organization=sim.organization,
                sim=sim,
                values=serializer.validated_data,
                context=Context.from_request(request),
            )
        own = sim_limits(sim=sim)
        return Response(
            {
                "iccid": sim.iccid,
                "limits": LimitsSerializer(own).data if own else None,
                "effective": effective_limits(sim=sim).as_dict(),
            }
        )


class OrderViewSet(
    TenantScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Orders placed with 1NCE through FleetOps."""

    queryset = Order.objects.all()
    serializer_class = OrderSerializer
    filterset_fields = ["status"]
    sort_fields = {"created_at": "created_at"}
    default_sort = ("created_at", "desc")

    @calls_upstream
    def retrieve(self, request, *args, **kwargs):
        """Get an order, refreshed from 1NCE.

        The order as 1NCE has it now (status, items, price); the stored one when 1NCE cannot be
        read."""
        order = refresh_order(order=self.get_object())
        return Response(OrderSerializer(order).data)

    @calls_upstream
    @extend_schema(
        request=OrderCreateSerializer,
        responses={201: OrderSerializer},
        parameters=[ORGANIZATION_ID_PARAMETER],
    )
    def create(self, request, *args, **kwargs):
        """Place an order with 1NCE.

        The items are validated against the product catalogue (top-up and extension products
        are refused with 422 before 1NCE is called), priced, placed and audited."""
        serializer = OrderCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        order = place_order(
            organization=self.target_organization(),
            items=serializer.validated_data["items"],
            context=Context.from_request(request),
        )
        return Response(OrderSerializer(order).data, status=status.HTTP_201_CREATED)


class ProductListView(FleetAPIView):
    """List 1NCE's product catalogue.

    The products of the organization's 1NCE account, cached for an hour. ``orderable`` is
    false for top-up and extension products, which ``POST /api/v1/orders`` refuses."""

    @calls_upstream
    @extend_schema(
        responses={200: ProductSerializer(many=True)}, parameters=[ORGANIZATION_ID_PARAMETER]
    )
    def get(self, request):
        products = list_products(organization=self.target_organization())
        return Response(ProductSerializer(products, many=True).data)
