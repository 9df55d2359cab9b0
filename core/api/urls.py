from django.urls import re_path

from core.api.views import (
    JobViewSet,
    ScheduledJobRunView,
    ScheduledJobView,
    SchedulerStatusView,
)
from core.routers import FleetRouter

app_name = "core-api"

router = FleetRouter()
router.register("jobs", JobViewSet, basename="job")

urlpatterns = [
    re_path(r"^scheduler/status/?$", SchedulerStatusView.as_view(), name="scheduler-status"),
    re_path(
        r"^scheduler/jobs/(?P<name>[^/]+)/run/?$",
        ScheduledJobRunView.as_view(),
        name="scheduler-job-run",
    ),
    re_path(
        r"^scheduler/jobs/(?P<name>[^/]+)/?$", ScheduledJobView.as_view(), name="scheduler-job"
    ),
    *router.urls,
]
