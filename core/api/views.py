from django.db.models import Prefetch

from core.api.serializers import JobSerializer, JobSummarySerializer
from core.models import Job, JobItem
from core.viewsets import FleetReadOnlyViewSet


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
