from accounts.api.views import OrganizationViewSet
from core.routers import FleetRouter

app_name = "accounts-api"

router = FleetRouter()
router.register("organizations", OrganizationViewSet, basename="organization")

urlpatterns = router.urls
