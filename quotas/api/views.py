from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from core.context import Context
from core.idempotency import HEADER as IDEMPOTENCY_HEADER
from core.idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotent
from core.responses import JobAcceptedSerializer, job_accepted
from core.schema import ORGANIZATION_ID_PARAMETER, calls_upstream
from core.viewsets import FleetAPIView, ParentLookupMixin
from quotas import selectors, services
from quotas.api.serializers import (
    AutoTopUpRequestSerializer,
    AutoTopUpResultSerializer,
    BulkTopUpRequestSerializer,
    QuotaSerializer,
    TopUpDetailSerializer,
    TopUpPendingSerializer,
    TopUpRequestSerializer,
    TopUpResultSerializer,
)
from quotas.models import TopUpStatus
from sims.selectors import effective_limits, sim_for_user


class QuotaView(ParentLookupMixin, FleetAPIView):
    """A SIM's data or SMS quota, refreshed from 1NCE when the stored one is over a minute
    old (the stored one, flagged ``stale``, while 1NCE is down)."""

    parent_lookup = staticmethod(sim_for_user)

    quota_type: str

    @calls_upstream
    @extend_schema(responses=QuotaSerializer)
    def get(self, request, iccid):
        sim = self.get_parent()
        quota, stale = selectors.current_quota(sim=sim, quota_type=self.quota_type)
        rule = selectors.rule_for(sim=sim, quota_type=self.quota_type)
        limits = effective_limits(sim=sim) if rule is None else None
        threshold = selectors.threshold_percent(rule=rule, limits=limits)
        last_topup = selectors.last_completed_topup(sim=sim)
        percentage = quota.percentage_used
        data = {
            "iccid": sim.iccid,
            "quota_type": self.quota_type,
            "volume": quota.volume,
            "used_volume": quota.used,
            "remaining_volume": quota.remaining,
            "percentage_used": percentage,
            "status": quota.status,
            "threshold_percentage": threshold,
            "threshold_volume": quota.volume * threshold // 100 if quota.volume else None,
            "threshold_reached": percentage is not None and percentage >= threshold,
            "auto_reload": bool(rule and rule.enabled),
            "auto_reload_amount": rule.topup_amount if rule else None,
            "last_volume_added": quota.last_volume_added,
            "last_status_change_date": quota.last_status_change_date,
            "last_topup_at": last_topup.completed_at if last_topup else None,
            "expiry_date": quota.expiry_date,
            "refreshed_at": quota.refreshed_at,
            "stale": stale,
        }
        return Response(QuotaSerializer(data).data)


class DataQuotaView(QuotaView):
    """Get a SIM's data quota.

    Volumes in bytes: total, used, remaining, percent used, threshold and auto-reload
    settings. Refreshed from 1NCE when the stored one is older than
    ``QUOTA_REFRESH_SECONDS``; the stored one, flagged ``stale``, while 1NCE is down."""

    quota_type = "data"


class SmsQuotaView(QuotaView):
    """Get a SIM's SMS quota.

    Volumes in messages: total, used, remaining, percent used, threshold and auto-reload
    settings. Refreshed from 1NCE when the stored one is older than
    ``QUOTA_REFRESH_SECONDS``; the stored one, flagged ``stale``, while 1NCE is down."""

    quota_type = "sms"


class SimTopUpView(ParentLookupMixin, FleetAPIView):
    """Top up one SIM.

    ``volume`` must be a whole number of 1NCE top-up packages of the ``quota_type``; each
    package is one 1NCE order, recorded before the call so none is ever bought twice. Send
    an ``Idempotency-Key`` to retry safely. Audited; answers the amount added, the new
    totals and the ``transaction_id``."""

    parent_lookup = staticmethod(sim_for_user)

    @calls_upstream
    @extend_schema(
        operation_id="sims_topup_one",
        request=TopUpRequestSerializer,
        responses={200: TopUpResultSerializer, 202: TopUpPendingSerializer},
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
    )
    @idempotent
    def post(self, request, iccid):
        sim = self.get_parent()
        serializer = TopUpRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        topup = services.top_up_sim(
            sim=sim,
            **serializer.validated_data,
            idempotency_key=request.headers.get(IDEMPOTENCY_HEADER, ""),
            context=Context.from_request(request),
        )
        if topup.status != TopUpStatus.COMPLETED:
            # An earlier call's outcome is pending: nothing was bought. Not kept as the key's
            # answer, so a retry after settling gets the settled one.
            response = Response(TopUpPendingSerializer(topup).data, status=status.HTTP_202_ACCEPTED)
            response.idempotency_provisional = True
            return response
        return Response(TopUpResultSerializer(topup).data)


class SimTopUpDetailView(ParentLookupMixin, FleetAPIView):
    """Get one top-up of a SIM.

    By ``transaction_id``: its status (``unknown`` until 1NCE's orders settle a lost
    answer, with ``settles_by``), the volume added and each package call with its order
    number or error."""

    parent_lookup = staticmethod(sim_for_user)

    @extend_schema(operation_id="sims_topup_retrieve", responses=TopUpDetailSerializer)
    def get(self, request, iccid, transaction_id):
        topup = selectors.topup_of(sim=self.get_parent(), transaction_id=transaction_id)
        return Response(TopUpDetailSerializer(topup).data)


class BulkTopUpView(FleetAPIView):
    """Top up many SIMs as a job.

    Up to ``TOPUP_BULK_MAX_SIMS`` SIMs, each with its quota type and volume; 202 with the
    job, whose per-SIM results ``GET /api/v1/jobs/{job_id}`` shows. Honours
    ``Idempotency-Key``."""

    @calls_upstream
    @extend_schema(
        operation_id="sims_topup_bulk",
        request=BulkTopUpRequestSerializer,
        responses={202: JobAcceptedSerializer},
        parameters=[IDEMPOTENCY_KEY_PARAMETER, ORGANIZATION_ID_PARAMETER],
    )
    @idempotent
    def post(self, request):
        serializer = BulkTopUpRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = services.start_bulk_topup(
            organization=self.target_organization(),
            items=serializer.validated_data["sims"],
            context=Context.from_request(request),
        )
        return job_accepted(request, job)


class AutoTopUpView(FleetAPIView):
    """Configure auto top-up for SIMs.

    For each SIM listed: top up ``topup_amount`` of the quota type once it is
    ``threshold_percentage`` used (or stop, with ``enabled: false``); answers which SIMs
    were configured and which failed, and why."""

    @calls_upstream
    @extend_schema(
        request=AutoTopUpRequestSerializer,
        responses=AutoTopUpResultSerializer,
        parameters=[ORGANIZATION_ID_PARAMETER],
    )
    def post(self, request):
        serializer = AutoTopUpRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        result = services.configure_auto_topup(
            organization=self.target_organization(),
            iccids=data["sims"],
            quota_type=data["quota_type"],
            threshold_percentage=data["threshold_percentage"],
            topup_amount=data["topup_amount"],
            enabled=data["enabled"],
            context=Context.from_request(request),
        )
        return Response(AutoTopUpResultSerializer(result).data)
