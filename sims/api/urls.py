from django.urls import path

from core.routers import FleetRouter
from sims.api import views

app_name = "sims-api"

router = FleetRouter()
router.register("sims", views.SimViewSet, basename="sim")
router.register("orders", views.OrderViewSet, basename="order")

urlpatterns = [
    path("products", views.ProductListView.as_view(), name="products"),
    *router.urls,
]
