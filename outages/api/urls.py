from django.urls import path

from core.routers import FleetRouter
from outages.api import views

app_name = "outages-api"

router = FleetRouter()
router.register("outages", views.OutageViewSet, basename="outage")

urlpatterns = [
    path("sla/status/<str:outage_id>", views.SlaStatusView.as_view(), name="sla-status"),
    path("sla/calculate", views.SlaCalculateView.as_view(), name="sla-calculate"),
    path("sla/configs", views.SlaConfigView.as_view(), name="sla-configs"),
    path("sla/configs/<str:severity>", views.SlaConfigChangeView.as_view(), name="sla-config"),
    path("analytics/mttr", views.MttrView.as_view(), name="analytics-mttr"),
    path("reports/sla", views.SlaReportView.as_view(), name="reports-sla"),
    *router.urls,
]
