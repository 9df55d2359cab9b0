import functools
from dataclasses import asdict

from django.conf import settings
from django.db.models import Prefetch
from django.urls import reverse
from drf_spectacular.generators import EndpointEnumerator
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from core.api.serializers import (
    ApiRootSerializer,
    JobSerializer,
    JobSummarySerializer,
    ScheduledJobDetailSerializer,
    ScheduledJobRunSerializer,
    SchedulerStatusSerializer,
)
from core.context import Context
from core.models import Job, JobItem
from core.scheduler import run_scheduled_job, scheduled_job, scheduler_status
from core.schema import answers_errors, area, one_path_form
from core.viewsets import FleetAPIView, FleetReadOnlyViewSet

API_ROOT = "/api/v1"


@functools.cache
def api_resources() -> tuple[dict, ...]:
    """Every path under /api/v1 without a path parameter, with its methods and area, as the
    routers and the apps' urls register it (in the schema's one path form), by path."""
    found: dict[str, dict] = {}
    for path, _regex, method, callback in one_path_form(EndpointEnumerator().get_api_endpoints()):
        if not path.startswith(f"{API_ROOT}/") or "{" in path:
            continue
        entry = found.setdefault(
            path,
            {"name": path.removeprefix(f"{API_ROOT}/"), "path": path, "methods": []},
        )
        entry["methods"].append(method)
        entry["area"] = area(callback.cls)
    return tuple(found[path] for path in sorted(found))


class ApiRootView(FleetAPIView):
    """Get the API's index.

    Every resource without a path parameter, with its link, methods and area (the
    documentation's tag), and the links to the documentation. Built from the registered routes,
    so it lists what is served. Anyone may read it.
    """

    permission_classes = [AllowAny]

    @extend_schema(responses=ApiRootSerializer, operation_id="api_root")
    def get(self, request):
        link = request.build_absolute_uri
        payload = {
            "name": settings.SPECTACULAR_SETTINGS["TITLE"],
            "version": settings.SPECTACULAR_SETTINGS["VERSION"],
            "documentation": {
                "swagger": link(reverse("docs")),
                "redoc": link(reverse("redoc")),
                "openapi": link(reverse("openapi-json")),
            },
            "resources": [
                {
                    "name": resource["name"],
                    "url": link(resource["path"]),
                    "methods": resource["methods"],
                    "area": resource["area"],
                }
                for resource in api_resources()
            ],
        }
        return Response(ApiRootSerializer(payload).data)


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
    """Get every periodic job's status.

    Each job's schedule in words, whether it is enabled, its last run (start, duration,
    outcome, error) and its next run. Operational information, the same for every
    organization: any authenticated user reads it."""

    @extend_schema(responses=SchedulerStatusSerializer, operation_id="scheduler_status")
    def get(self, request):
        payload = {"timezone": settings.CELERY_TIMEZONE, "jobs": scheduler_status()}
        return Response(SchedulerStatusSerializer(payload).data)


def scheduled_job_url(name: str) -> str:
    return reverse("core-api:scheduler-job", kwargs={"name": name})


class ScheduledJobView(FleetAPIView):
    """One periodic job: its schedule, last and next run, and its latest runs (newest first).

    The job is named as in the scheduler's list; an unknown name answers 404.
    """

    @extend_schema(responses=ScheduledJobDetailSerializer, operation_id="scheduler_job_retrieve")
    @answers_errors(404)
    def get(self, request, name):
        return Response(ScheduledJobDetailSerializer(scheduled_job(name)).data)


class ScheduledJobRunView(FleetAPIView):
    """Run a periodic job now, with its arguments, beside its schedule (operators and admins;
    audited). Answers 202 with the run's task id; the run shows in the job's ``recent_runs``."""

    @extend_schema(
        request=None,
        responses={202: ScheduledJobRunSerializer},
        operation_id="scheduler_job_run",
    )
    @answers_errors(404, 503)
    def post(self, request, name):
        run = run_scheduled_job(name=name, context=Context.from_request(request))
        payload = {**asdict(run), "status_url": scheduled_job_url(name)}
        return Response(ScheduledJobRunSerializer(payload).data, status=status.HTTP_202_ACCEPTED)
