from datetime import UTC, datetime, timedelta

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.models import Role
from core.context import Context
from core.errors import NotFound
from core.filters import SearchFilter, SortFilter
from core.pagination import FleetPagination
from core.schema import answers_errors
from core.viewsets import FleetAPIView, TenantScopedMixin
from outages import analytics, selectors, services
from outages.api.serializers import (
    OutageChangeSerializer,
    OutageCreatedSerializer,
    OutageCreateSerializer,
    OutageDetailSerializer,
    OutageSerializer,
    OutageUpdatedSerializer,
    RcaSerializer,
    SlaCalculateSerializer,
    SlaConfigChangeSerializer,
    SlaTermsSerializer,
    location_fields,
    validated,
)
from outages.filters import (
    REPORT_FORMATS,
    MttrParameters,
    OutageFilterSet,
    ReportParameters,
    SeedFilterBackend,
    parse_moment,
    seed_parameters,
)
from outages.models import Outage, RootCauseAnalysis, Severity, SlaConfig
from outages.services.outages import field_error
from outages.settlement import NOT_SETTLED

OUTAGE_ID = OpenApiParameter(
    "outage_id", OpenApiTypes.STR, OpenApiParameter.PATH, description="OUT000123"
)


class OutagePagination(FleetPagination):
    """The envelope's pagination plus seed 004's ``next_offset``/``previous_offset``."""

    def get_pagination(self) -> dict:
        pagination = super().get_pagination()
        pagination["offset"] = self.start
        pagination["limit"] = self.size
        pagination["has_previous"] = pagination["has_prev"]
        pagination["next_offset"] = self.start + self.size if pagination["has_next"] else None
        pagination["previous_offset"] = (
            max(self.start - self.size, 0) if pagination["has_prev"] else None
        )
        return pagination


class OrganizationLookupMixin:
    """Outage ids (``OUT000123``) are unique per organization: a lookup is made in the
    caller's organization (a platform superuser names one with ``organization_id``)."""

    def lookup_organization_id(self) -> int:
        user = self.request.user
        if not user.is_superuser and user.organization_id is not None:
            return user.organization_id
        return self.target_organization().pk

    def get_outage(self, outage_id: str, queryset=None) -> Outage:
        organization_id = self.lookup_organization_id()
        queryset = queryset if queryset is not None else selectors.outages_of([organization_id])
        return selectors.outage_for(
            organization_id=organization_id, outage_id=outage_id, queryset=queryset
        )

    def context(self) -> Context:
        return Context.from_request(self.request)


class OutageViewSet(
    OrganizationLookupMixin,
    TenantScopedMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    """Seed 004's outages: list with filters, create, read with timeline, change."""

    queryset = selectors.outages_of(None)
    serializer_class = OutageSerializer
    filterset_class = OutageFilterSet
    filter_backends = [SeedFilterBackend, SearchFilter, SortFilter]
    pagination_class = OutagePagination
    search_fields = ["site_name", "site_id", "description"]
    sort_fields = {
        "detected_at": "detected_at",
        "resolved_at": "resolved_at",
        "severity": "severity",
        "status": "status",
        "site_name": "site_name",
    }
    default_sort = ("detected_at", "desc")
    lookup_field = "outage_id"

    def get_object(self):
        """The outage the URL names, in the caller's organization (also what DRF's OPTIONS
        metadata asks for)."""
        outage = self.get_outage(self.kwargs[self.lookup_field])
        self.check_object_permissions(self.request, outage)
        return outage

    lookup_value_regex = "[^/]+"
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["now"] = timezone.now()
        return context

    def serialize(self, outage, serializer_class):
        context = self.get_serializer_context()
        context["terms"] = selectors.terms_in_force([outage.organization_id])
        context["settlements"] = selectors.settlements_of([outage])
        return serializer_class(outage, context=context).data

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        # The page is read as it is answered (rows, not objects: ``core.fastread``); the terms
        # and settlements it shows are read when a row first needs them.
        context = self.get_serializer_context()
        context["terms"] = selectors.TermsInForce()
        context["settlements"] = selectors.PageSettlements(page)
        rows = OutageSerializer(page, many=True, context=context).data
        return self.get_paginated_response(rows)

    @extend_schema(parameters=[OUTAGE_ID], responses={200: OutageDetailSerializer})
    def retrieve(self, request, outage_id=None):
        queryset = (
            self.get_queryset().select_related("rca").prefetch_related("timeline", "rca__actions")
        )
        outage = self.get_outage(outage_id, queryset)
        return Response(self.serialize(outage, OutageDetailSerializer))

    @extend_schema(request=OutageCreateSerializer, responses={201: OutageCreatedSerializer})
    def create(self, request, *args, **kwargs):
        data = dict(validated(OutageCreateSerializer(data=request.data)))
        data.update(location_fields(data))
        outage = services.create_outage(
            organization=self.target_organization(), context=self.context(), **data
        )
        body = {
            "id": outage.public_id,
            "site_name": outage.site_name,
            "status": outage.status,
            "detected_at": outage.detected_at,
            "message": "Outage created successfully",
        }
        return Response(OutageCreatedSerializer(body).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[OUTAGE_ID],
        request=OutageChangeSerializer,
        responses={200: OutageUpdatedSerializer},
    )
    def update(self, request, outage_id=None, **kwargs):
        # The body first: a field it does not take is named (422) whichever outage it is for.
        changes = dict(validated(OutageChangeSerializer(data=request.data)))
        outage = self.get_outage(outage_id)
        changes.update(location_fields(changes))
        outage, triggered = services.update_outage(
            outage=outage, changes=changes, context=self.context()
        )
        outage = self.get_outage(outage.public_id)
        body = {
            "id": outage.public_id,
            "status": outage.status,
            "message": "Outage updated successfully",
            "sla_triggered": triggered,
            "sla_status": self.serialize(outage, OutageSerializer)["sla_status"],
        }
        return Response(body)

    partial_update = update

    @answers_errors(409)  # PUT: the outage is not resolved yet
    @extend_schema(parameters=[OUTAGE_ID], request=RcaSerializer, responses={200: RcaSerializer})
    @action(detail=True, methods=["get", "put"])
    def rca(self, request, outage_id=None):
        """GET: Read the outage's root cause analysis. 404 until one is recorded.

        PUT: Record or replace the outage's root cause analysis. Resolved outages only; the
        actions sent are the whole list (an action kept from before keeps its ``id``).
        """
        outage = self.get_outage(outage_id)
        if request.method == "GET":
            rca = (
                RootCauseAnalysis.objects.filter(outage=outage)
                .select_related("outage", "updated_by")
                .prefetch_related("actions")
                .first()
            )
            if rca is None:
                raise NotFound(f"No root cause analysis recorded for {outage.public_id} yet.")
            return Response(RcaSerializer(rca).data)
        data = validated(RcaSerializer(data=request.data))
        rca = services.save_rca(
            outage=outage,
            category=data["category"],
            contributing_factors=data.get("contributing_factors", []),
            summary=data.get("summary", ""),
            actions=[dict(a) for a in data.get("actions", [])],
            context=self.context(),
        )
        return Response(RcaSerializer(rca).data)


SLA_STATUS = inline_serializer(
    "SlaStatus",
    fields={
        "outage_id": serializers.CharField(),
        "severity": serializers.CharField(),
        "status": serializers.CharField(),
        "mttr_minutes": serializers.IntegerField(allow_null=True),
        "threshold_minutes": serializers.IntegerField(),
    },
)


class SlaStatusView(OrganizationLookupMixin, FleetAPIView):
    """Real-time SLA status of an outage (seed 004).

    Running: minutes elapsed against the severity's threshold and minutes left before breach.
    Resolved: the recorded result (MTTR, amount, rating, terms version) and its settlement.
    """

    @extend_schema(parameters=[OUTAGE_ID], responses={200: SLA_STATUS})
    def get(self, request, outage_id):
        outage = self.get_outage(outage_id)
        terms = selectors.terms_in_force([outage.organization_id])
        settlement = selectors.settlements_of([outage]).get(outage.pk, NOT_SETTLED)
        body = selectors.sla_status(
            outage, terms[(outage.organization_id, outage.severity)], settlement
        )
        return Response({"outage_id": outage.public_id, "severity": outage.severity, **body})


class SlaCalculateView(OrganizationLookupMixin, FleetAPIView):
    """Evaluate the SLA of a resolved outage (idempotent: the recorded result is answered).

    MTTR from the outage's timestamps under the terms in force when it is first evaluated (on
    resolve); the result keeps that terms version, and evaluating again answers it unchanged.
    """

    @answers_errors(404, 409)  # no such outage; not resolved yet
    @extend_schema(
        request=SlaCalculateSerializer,
        responses={
            200: inline_serializer(
                "SlaCalculation",
                fields={
                    "outage_id": serializers.CharField(),
                    "sla_result": serializers.DictField(),
                    "contract_invocation": serializers.DictField(),
                    "recorded_now": serializers.BooleanField(),
                },
            )
        },
    )
    def post(self, request):
        data = validated(SlaCalculateSerializer(data=request.data))
        outage = self.get_outage(data["outage_id"])
        result, recorded = services.evaluate_sla(outage=outage, context=self.context())
        settlement = selectors.settlements_of([outage]).get(outage.pk, NOT_SETTLED)
        return Response(
            {
                "outage_id": outage.public_id,
                "sla_result": {
                    "status": result.status,
                    "mttr_minutes": result.mttr_minutes,
                    "threshold_minutes": result.threshold_minutes,
                    "amount": float(result.amount),
                    "payment_type": result.payment_type,
                    "performance_rating": result.performance_rating,
                    "config_version": result.config.version,
                },
                "contract_invocation": settlement.contract_invocation(),
                "recorded_now": recorded,
            }
        )


def terms_body(config: SlaConfig) -> dict:
    return SlaTermsSerializer(config).data


class SlaConfigView(FleetAPIView):
    """The SLA terms in force per severity (seed 004's shape, with each one's version).

    One entry per severity: the threshold in minutes and the penalty per minute beyond it.
    """

    @extend_schema(
        parameters=[
            OpenApiParameter("organization_id", OpenApiTypes.INT, description="Superusers only.")
        ],
        responses={
            200: inline_serializer(
                "SlaConfigs", fields={s: SlaTermsSerializer() for s in Severity.values}
            )
        },
    )
    def get(self, request):
        configs = services.current_configs(organization=self.target_organization())
        return Response({severity: terms_body(config) for severity, config in configs.items()})


class SlaConfigChangeView(FleetAPIView):
    """Change one severity's terms (admins): a new version; older versions stay.

    The change applies to outages evaluated from now on (and to running outages' clocks);
    recorded results keep the version they used.
    """

    write_roles = frozenset({Role.ADMIN})

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "severity", OpenApiTypes.STR, OpenApiParameter.PATH, enum=Severity.values
            )
        ],
        request=SlaConfigChangeSerializer,
        responses={200: SlaTermsSerializer},
    )
    def put(self, request, severity):
        if severity not in Severity.values:
            raise field_error(
                "severity", "Invalid outage severity level", allowed_values=Severity.values
            )
        changes = validated(SlaConfigChangeSerializer(data=request.data))
        config = services.change_sla_config(
            organization=self.target_organization(),
            severity=severity,
            changes=dict(changes),
            context=Context.from_request(request),
        )
        return Response(terms_body(config))

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "severity", OpenApiTypes.STR, OpenApiParameter.PATH, enum=Severity.values
            )
        ],
        responses={200: SlaTermsSerializer(many=True)},
    )
    @answers_errors(422)  # no such severity
    def get(self, request, severity):
        """Every version of one severity's terms, newest first."""
        if severity not in Severity.values:
            raise field_error(
                "severity", "Invalid outage severity level", allowed_values=Severity.values
            )
        organization = self.target_organization()
        services.current_configs(organization=organization)
        versions = (
            SlaConfig.objects.filter(organization=organization, severity=severity)
            .select_related("created_by")
            .order_by("-version")
        )
        return Response([terms_body(c) for c in versions])


def parse_when(request, name: str, default: datetime) -> datetime:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    return parse_moment(raw, field=name, end=name == "end_date")


PERIOD = timedelta(days=30)  # the MTTR period when start_date is not given
MIN_MOMENT = datetime.min.replace(tzinfo=UTC)
# Seed 004's messages for a refused parameter (others: "Invalid <name>: <why>").
MTTR_MESSAGES = {"severity": "Invalid outage severity level", "group_by": "Invalid group_by"}
REPORT_MESSAGES = {"format": "Unknown format"}


class MttrView(FleetAPIView):
    """MTTR statistics (seed 004), computed by the database.

    Mean time to resolve over the period, overall and per severity.
    """

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "start_date", OpenApiTypes.DATETIME, description="Default: 30 days ago."
            ),
            OpenApiParameter("end_date", OpenApiTypes.DATETIME, description="Default: now."),
            OpenApiParameter("severity", OpenApiTypes.STR, enum=Severity.values),
            OpenApiParameter("site_name", OpenApiTypes.STR),
            OpenApiParameter("group_by", OpenApiTypes.STR, enum=list(analytics.GROUPS)),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        now = timezone.now()
        end = parse_when(request, "end_date", now)
        start = parse_when(request, "start_date", max(end, MIN_MOMENT + PERIOD) - PERIOD)
        if start > end:
            raise field_error("start_date", "start_date must not be after end_date.")
        chosen = seed_parameters(MttrParameters(request.query_params), MTTR_MESSAGES)
        severity = chosen["severity"] or None
        group_by = chosen["group_by"] or None
        user = request.user
        organization_ids = (
            None
            if user.is_superuser and "organization_id" not in request.query_params
            else [self.target_organization().pk]
        )
        return Response(
            analytics.mttr_statistics(
                organization_ids=organization_ids,
                start=start,
                end=end,
                severity=severity,
                site_name=request.query_params.get("site_name") or None,
                group_by=group_by,
            )
        )


class SlaReportView(FleetAPIView):
    """An organization's SLA report of a month, as JSON (default), CSV or PDF
    (``?format=csv|pdf`` or the Accept header).

    Ask for the format with the Accept header or ``format``; CSV and PDF come as a download.
    """

    def perform_content_negotiation(self, request, force=False):
        # csv and pdf are answered by ``get`` itself; errors stay in the JSON envelope.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "month", OpenApiTypes.STR, description="YYYY-MM; default: last month."
            ),
            OpenApiParameter("format", OpenApiTypes.STR, enum=list(REPORT_FORMATS)),
        ],
        responses={
            (200, "application/json"): OpenApiTypes.OBJECT,
            (200, "text/csv"): OpenApiTypes.STR,
            (200, "application/pdf"): OpenApiTypes.BINARY,
        },
    )
    def get(self, request):
        month = services.parse_month(request.query_params.get("month"))
        kind = seed_parameters(ReportParameters(request.query_params), REPORT_MESSAGES)["format"]
        report = services.report_for(organization=self.target_organization(), month=month)
        accept = request.META.get("HTTP_ACCEPT", "")
        if kind == "csv" or (not kind and "text/csv" in accept):
            return self.download(
                services.render_csv(report), "text/csv; charset=utf-8", report, "csv"
            )
        if kind == "pdf" or (not kind and "application/pdf" in accept):
            return self.download(services.render_pdf(report), "application/pdf", report, "pdf")
        return Response(report)

    @staticmethod
    def download(content, content_type: str, report: dict, extension: str) -> HttpResponse:
        response = HttpResponse(content, content_type=content_type)
        name = f"sla-report-{report['month']}.{extension}"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
