from core.api.views import JobViewSet
from core.routers import FleetRouter

app_name = "core-api"

router = FleetRouter()
router.register("jobs", JobViewSet, basename="job")

urlpatterns = router.urls
