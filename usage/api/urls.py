from django.urls import re_path

from core.identifiers import ICCID_PATH
from usage.api.views import FleetUsageView, SimUsageSyncView, SimUsageView

app_name = "usage-api"

# Optional trailing slash, like every FleetRouter route.
urlpatterns = [
    re_path(r"^usage/?$", FleetUsageView.as_view(), name="fleet-usage"),
    re_path(rf"^sims/{ICCID_PATH}/usage/?$", SimUsageView.as_view(), name="sim-usage"),
    re_path(
        rf"^sims/{ICCID_PATH}/usage/sync/?$", SimUsageSyncView.as_view(), name="sim-usage-sync"
    ),
]
