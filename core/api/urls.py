from django.urls import re_path

from core.api.views import JobViewSet, SchedulerStatusView
from core.routers import FleetRouter

app_name = "core-api"

router = FleetRouter()
router.register("jobs", JobViewSet, basename="job")

urlpatterns = [
    re_path(r"^scheduler/status/?$", SchedulerStatusView.as_view(), name="scheduler-status"),
    *router.urls,
]
