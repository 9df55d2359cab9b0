from django.conf import settings
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from core.api.serializers import JobSerializer, JobSummarySerializer, SchedulerStatusSerializer
from core.models import Job, JobItem
from core.scheduler import scheduler_status
from core.viewsets import FleetAPIView, FleetReadOnlyViewSet


class JobViewSet(FleetReadOnlyViewSet):
    """Bulk jobs of the caller's organization, with per-item results on the detail."""

    queryset = Job.objects.all()
    serializer_class = JobSerializer
    filterset_fields = ["kind", "status"]
    sort_fields = {"created_at": "created_at", "finished_at": "finished_at"}
    default_sort = ("created_at", "desc")

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "retrieve":
            items = JobItem.objects.order_by("position", "id")
            queryset = queryset.prefetch_related(Prefetch("items", queryset=items))
        return queryset

    def get_serializer_class(self):
        return JobSummarySerializer if self.action == "list" else JobSerializer


class SchedulerStatusView(FleetAPIView):
    """Every periodic job: schedule, last run (start, duration, outcome) and next run.

    Operational information, the same for every organization: any authenticated user reads it.
    """

    @extend_schema(responses=SchedulerStatusSerializer, operation_id="scheduler_status")
    def get(self, request):
        payload = {"timezone": settings.CELERY_TIMEZONE, "jobs": scheduler_status()}
        return Response(SchedulerStatusSerializer(payload).data)
