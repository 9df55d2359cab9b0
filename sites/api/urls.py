from django.urls import path

from core.routers import FleetRouter
from sites.api import views

app_name = "sites-api"

router = FleetRouter()
router.register("sites", views.SiteViewSet, basename="site")

urlpatterns = [
    path(
        "sites/detection-policy",
        views.DetectionPolicyView.as_view(),
        name="detection-policy",
    ),
    path(
        "integrations/1nce/data-streamer/credentials",
        views.DataStreamCredentialsView.as_view(),
        name="data-streamer-credentials",
    ),
    path(
        "integrations/1nce/data-streamer/events",
        views.DataStreamEventsView.as_view(),
        name="data-streamer-events",
    ),
    *router.urls,
]
