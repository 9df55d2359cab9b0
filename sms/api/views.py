from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from core.context import Context
from core.idempotency import HEADER as IDEMPOTENCY_HEADER
from core.idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotent
from core.schema import calls_upstream
from core.viewsets import FleetViewMixin, ParentLookupMixin
from sims.selectors import sim_for_user
from sms import services
from sms.api.serializers import SmsAcceptedSerializer, SmsMessageSerializer, SmsSendSerializer
from sms.filters import SmsMessageFilterSet
from sms.models import SmsMessage
from sms.selectors import messages_of

SMS_ID_PARAMETER = OpenApiParameter(
    "id", OpenApiTypes.STR, OpenApiParameter.PATH, description="The sms_id, or the numeric id."
)


@extend_schema_view(
    retrieve=extend_schema(parameters=[SMS_ID_PARAMETER]),
    destroy=extend_schema(parameters=[SMS_ID_PARAMETER], responses={204: None}),
)
class SimSmsViewSet(
    ParentLookupMixin,
    FleetViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """A SIM's SMS, MO and MT, newest first; send, follow and cancel MT messages."""

    parent_lookup = staticmethod(sim_for_user)

    serializer_class = SmsMessageSerializer
    filterset_class = SmsMessageFilterSet
    sort_fields = {"created_at": "created_at", "status": "status"}
    default_sort = ("created_at", "desc")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return SmsMessage.objects.none()
        return messages_of(sim=self.get_parent())

    def get_object(self):
        lookup = self.kwargs["id"]
        queryset = self.get_queryset()
        if lookup.isdigit():
            return get_object_or_404(queryset, pk=int(lookup))
        return get_object_or_404(queryset, sms_id=lookup)

    @calls_upstream
    def retrieve(self, request, *args, **kwargs):
        """Get an SMS of a SIM.

        By id or 1NCE's ``sms_id``; an MT message still on its way is refreshed from 1NCE when
        its status is older than ``SMS_STATUS_REFRESH_SECONDS``."""
        sms = services.fresh_status(sms=self.get_object())
        return Response(self.get_serializer(sms).data)

    @calls_upstream
    @extend_schema(
        request=SmsSendSerializer,
        responses={202: SmsAcceptedSerializer},
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        """Send an SMS to a SIM (MT).

        Checked against the SIM's limits, then handed to 1NCE: 202 with the message and its
        status. Send an ``Idempotency-Key``: a retry never sends the message twice."""
        sim = self.get_parent()
        serializer = SmsSendSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        sms = services.send_sms(
            sim=sim,
            **serializer.validated_data,
            idempotency_key=request.headers.get(IDEMPOTENCY_HEADER, ""),
            context=Context.from_request(request),
        )
        response = Response(SmsAcceptedSerializer(sms).data, status=status.HTTP_202_ACCEPTED)
        # A send whose outcome is pending is not kept as the key's answer: a retry after it
        # settles gets the settled one (or sends it, once, if 1NCE never had it).
        response.idempotency_provisional = services.is_outcome_pending(sms)
        return response

    @calls_upstream
    def destroy(self, request, *args, **kwargs):
        """Cancel an MT SMS.

        Only while 1NCE has not delivered it; a delivered or otherwise final message answers
        409. Audited."""
        services.cancel_sms(sms=self.get_object(), context=Context.from_request(request))
        return Response(status=status.HTTP_204_NO_CONTENT)
