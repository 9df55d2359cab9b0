from django.urls import path

from accounts.api import views
from core.routers import FleetRouter

app_name = "accounts-api"

router = FleetRouter()
router.register("organizations", views.OrganizationViewSet, basename="organization")
router.register("auth/api-keys", views.APIKeyViewSet, basename="api-key")
router.register("audit", views.AuditLogViewSet, basename="audit-log")

urlpatterns = [
    path("auth/login", views.LoginView.as_view(), name="login"),
    path("auth/refresh", views.RefreshView.as_view(), name="refresh"),
    path("auth/logout", views.LogoutView.as_view(), name="logout"),
    path("auth/me", views.MeView.as_view(), name="me"),
    path("auth/register", views.RegisterView.as_view(), name="register"),
    *router.urls,
]
