from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from core.schema import answers_errors, calls_upstream
from core.viewsets import FleetAPIView, ParentLookupMixin, takes_no_body
from sims.selectors import sim_for_user
from usage.api.serializers import (
    FleetUsageQuerySerializer,
    FleetUsageSerializer,
    SimUsageSerializer,
    UsageQuerySerializer,
    UsageSyncSerializer,
)
from usage.selectors import fleet_usage, sim_usage
from usage.services import sync_usage_for_sim


def _query(serializer_class, request) -> dict:
    query = serializer_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data


class SimUsageView(ParentLookupMixin, FleetAPIView):
    """Get a SIM's usage.

    Data and SMS per day, ISO week or calendar month between ``start_date`` and
    ``end_date`` (default the last 30 days), from the mirror the hourly usage sync fills,
    with totals, the average per day and the peak day."""

    parent_lookup = staticmethod(sim_for_user)

    @extend_schema(
        operation_id="sims_usage_retrieve",
        parameters=[UsageQuerySerializer],
        responses=SimUsageSerializer,
    )
    def get(self, request, iccid):
        sim = self.get_parent()
        return Response(sim_usage(sim=sim, **_query(UsageQuerySerializer, request)))


class SimUsageSyncView(ParentLookupMixin, FleetAPIView):
    """Sync a SIM's usage from 1NCE now.

    Fetches the days since its last stored day (operators); answers the records added and
    updated and the latest day."""

    parent_lookup = staticmethod(sim_for_user)

    @calls_upstream
    @extend_schema(operation_id="sims_usage_sync", request=None, responses=UsageSyncSerializer)
    @takes_no_body
    def post(self, request, iccid):
        result = sync_usage_for_sim(sim=self.get_parent())
        return Response(UsageSyncSerializer(result).data)


class FleetUsageView(FleetAPIView):
    """Get the organization's usage.

    Totals per day, week or month from the per-organization daily rollup, or grouped by
    SIM status or tag (``group_by``); a SIM counts in each of its tags."""

    @answers_errors(403)  # a platform superuser outside any organization
    @extend_schema(
        operation_id="usage_retrieve",
        parameters=[FleetUsageQuerySerializer],
        responses=FleetUsageSerializer,
    )
    def get(self, request):
        organization_id = getattr(request.user, "organization_id", None)
        if organization_id is None:
            raise PermissionDenied("Your account belongs to no organization.")
        query = _query(FleetUsageQuerySerializer, request)
        return Response(fleet_usage(organization_id=organization_id, **query))
