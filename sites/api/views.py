from django.conf import settings
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from accounts.models import Role
from core.context import Context
from core.errors import Conflict, NotFound
from core.schema import answers_errors
from core.throttling import FleetRateThrottle, Window
from core.viewsets import FleetAPIView, TenantScopedMixin, takes_no_body
from sims.models import OnenceAccount
from sites import selectors, services
from sites.api.authentication import DataStreamAuthentication, StreamPrincipal
from sites.api.serializers import (
    DataStreamCreateSerializer,
    DataStreamCredentialsSerializer,
    DetectionPolicySerializer,
    IccidsSerializer,
    IngestReportSerializer,
    MovedSerializer,
    ShareSampleSerializer,
    SiteChangeSerializer,
    SiteCreateSerializer,
    SiteOutageSerializer,
    SiteSerializer,
)
from sites.models import Site, SiteOutage, SiteOutageState

SITE_ID = OpenApiParameter("code", OpenApiTypes.STR, OpenApiParameter.PATH, description="SITE123")


def valid(serializer) -> dict:
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class SiteViewSet(
    TenantScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Sites of the organization: their SIMs, online counts and outages (issue 18)."""

    queryset = Site.objects.order_by("code", "id")
    serializer_class = SiteSerializer
    lookup_field = "code"
    lookup_value_regex = "[A-Za-z0-9][A-Za-z0-9_.-]{0,63}"
    search_fields = ["code", "name", "location"]
    sort_fields = {"id": "code", "name": "name", "last_change_at": "last_change_at"}
    default_sort = ("id", "asc")
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def context(self) -> Context:
        return Context.from_request(self.request)

    @extend_schema(request=SiteCreateSerializer, responses={201: SiteSerializer})
    @answers_errors(409)
    def create(self, request, *args, **kwargs):
        data = valid(SiteCreateSerializer(data=request.data))
        site = services.create_site(
            organization=self.target_organization(),
            code=data.pop("id"),
            name=data.pop("name"),
            context=self.context(),
            **data,
        )
        return Response(SiteSerializer(site).data, status=status.HTTP_201_CREATED)

    @extend_schema(parameters=[SITE_ID], request=SiteChangeSerializer, responses=SiteSerializer)
    def update(self, request, *args, **kwargs):
        changes = valid(SiteChangeSerializer(data=request.data))
        site = services.update_site(site=self.get_object(), changes=changes, context=self.context())
        return Response(SiteSerializer(site).data)

    partial_update = update

    @extend_schema(parameters=[SITE_ID], request=None, responses={204: None})
    @answers_errors(409)
    @takes_no_body
    def destroy(self, request, *args, **kwargs):
        services.delete_site(site=self.get_object(), context=self.context())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(parameters=[SITE_ID], request=IccidsSerializer, responses=MovedSerializer)
    @action(detail=True, methods=["post"], url_path="sims")
    def assign(self, request, code=None):
        """Place SIMs at the site.

        One ICCID or up to 1,000 of the organization's SIMs; each leaves the site it was at.
        """
        site = self.get_object()
        data = valid(IccidsSerializer(data=request.data))
        moved = services.assign_sims(
            site=site, iccids=data["iccids"], organization=site.organization, context=self.context()
        )
        return Response({"moved": moved})

    @extend_schema(parameters=[SITE_ID], request=IccidsSerializer, responses=MovedSerializer)
    @action(detail=True, methods=["post"], url_path="sims/remove")
    def unassign(self, request, code=None):
        """Take SIMs away from the site.

        They are then at no site, and count towards no site's online share.
        """
        site = self.get_object()
        data = valid(IccidsSerializer(data=request.data))
        unknown = set(data["iccids"])
        moved = services.assign_sims(
            site=None,
            iccids=sorted(unknown),
            organization=site.organization,
            context=self.context(),
        )
        return Response({"moved": moved})

    @extend_schema(request=None, responses=MovedSerializer)
    @action(detail=False, methods=["post"], url_path="apply-tag-rule")
    @takes_no_body
    def apply_tag_rule(self, request):
        """Place every SIM tagged ``site:<ID>`` at that site.

        The tag rule: each SIM of the organization with such a tag moves to the site it names.
        """
        moved = services.apply_tag_rule(
            organization=self.target_organization(), context=self.context()
        )
        return Response({"moved": moved})

    @extend_schema(parameters=[SITE_ID], responses=ShareSampleSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def history(self, request, code=None):
        """The site's online share over time.

        Its latest 500 changes, by the minute, oldest first.
        """
        return Response(
            ShareSampleSerializer(selectors.share_history(self.get_object()), many=True).data
        )

    @extend_schema(parameters=[SITE_ID], responses=SiteOutageSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def outages(self, request, code=None):
        """The site's latest outages.

        Each with the SIMs whose streamed events timed its detection and its resolution.
        """
        rows = selectors.site_outages(self.get_object())
        return Response(SiteOutageSerializer(rows, many=True).data)

    @extend_schema(parameters=[SITE_ID], request=None, responses=SiteOutageSerializer)
    @action(detail=True, methods=["post"], url_path="accept-resolution")
    @answers_errors(409)
    @takes_no_body
    def accept_resolution(self, request, code=None):
        """Accept the resolution the SIM evidence proposed (auto-resolve off): the outage is
        resolved at the recovery time the evidence shows."""
        site = self.get_object()
        site_outage = SiteOutage.objects.filter(site=site, state=SiteOutageState.PROPOSED).first()
        if site_outage is None:
            raise Conflict("No resolution is proposed for this site.")
        services.accept_proposed_resolution(site_outage=site_outage, context=self.context())
        return Response(SiteOutageSerializer(selectors.site_outages(site, limit=1)[0]).data)


class DetectionPolicyView(FleetAPIView):
    """The organization's site outage detection policy.

    Threshold of the online share, loss window, minimum SIMs, settle time, auto-resolve and
    flap damping.
    """

    write_roles = frozenset({Role.ADMIN})

    @extend_schema(responses=DetectionPolicySerializer)
    def get(self, request):
        """Read the detection policy.

        The defaults until an admin changes them.
        """
        policy = services.policy_for(self.target_organization())
        return Response(DetectionPolicySerializer(policy).data)

    @extend_schema(request=DetectionPolicySerializer, responses=DetectionPolicySerializer)
    def put(self, request):
        """Change the detection policy (admins).

        Fields not sent keep their value; the change applies to the next losses.
        """
        serializer = DetectionPolicySerializer(data=request.data, partial=True)
        changes = valid(serializer)
        policy = services.update_policy(
            organization=self.target_organization(),
            changes=changes,
            context=Context.from_request(request),
        )
        return Response(DetectionPolicySerializer(policy).data)


class DataStreamCredentialsView(FleetAPIView):
    """New credentials for 1NCE's Data Streamer (admins).

    Enter them in 1NCE's portal as the HTTP Basic credentials of a REST API event stream to
    the endpoint answered; they replace this 1NCE account's earlier ones.
    """

    write_roles = frozenset({Role.ADMIN})

    @extend_schema(
        request=DataStreamCreateSerializer, responses={201: DataStreamCredentialsSerializer}
    )
    @answers_errors(404, 409)
    def post(self, request):
        data = valid(DataStreamCreateSerializer(data=request.data))
        organization = self.target_organization()
        account = None
        if data.get("onence_account_id") is not None:
            account = OnenceAccount.objects.filter(
                pk=data["onence_account_id"], organization=organization
            ).first()
            if account is None:
                raise NotFound("No such 1NCE account in your organization.")
        stream, secret = services.create_stream(
            organization=organization, onence_account=account, context=Context.from_request(request)
        )
        body = {
            "username": stream.username,
            "password": secret,
            "endpoint": request.build_absolute_uri(reverse("sites-api:data-streamer-events")),
        }
        return Response(body, status=status.HTTP_201_CREATED)


class IsDataStream(BasePermission):
    message = "Only 1NCE's Data Streamer posts here."

    def has_permission(self, request, view) -> bool:
        return isinstance(request.user, StreamPrincipal)


class DataStreamThrottle(FleetRateThrottle):
    """Per stream (``DATA_STREAMER_RATE_PER_MINUTE`` requests), else per address."""

    def identify(self, request):
        if isinstance(request.user, StreamPrincipal):
            window = Window(settings.DATA_STREAMER_RATE_PER_MINUTE, 60)
            return [(f"stream:{request.user.stream.pk}", window)]
        return super().identify(request)


class DataStreamEventsView(FleetAPIView):
    """Receive 1NCE Data Streamer event records (HTTP/webhook integration).

    A JSON list of at most 3,000 event records in 1NCE's format, authenticated with the
    stream's HTTP Basic credentials. Idempotent by event id: a re-delivered record is counted
    as a duplicate and changes nothing. Any invalid record refuses the whole batch (400,
    nothing taken), so 1NCE keeps it.
    """

    authentication_classes = [DataStreamAuthentication]
    permission_classes = [IsDataStream]
    throttle_classes = [DataStreamThrottle]

    @extend_schema(
        request={"application/json": {"type": "array", "items": {"type": "object"}}},
        responses=IngestReportSerializer,
    )
    def post(self, request):
        report = services.ingest(
            stream=request.auth,
            body=request.data,
            context=Context.system(via="data_streamer"),
        )
        return Response(report.as_dict())
