from alerts.api import views
from core.routers import FleetRouter

app_name = "alerts-api"

router = FleetRouter()
router.register("webhooks", views.WebhookViewSet, basename="webhook")
# Before "alerts": "alerts/rules" is not an alert id (ids are digits anyway).
router.register("alerts/rules", views.AlertRuleViewSet, basename="alert-rule")
router.register("alerts", views.AlertViewSet, basename="alert")

urlpatterns = router.urls
