from django.urls import path

from accounts.api import legacy

app_name = "accounts-legacy"

urlpatterns = [
    path("register", legacy.LegacyRegisterView.as_view(), name="register"),
    path("login", legacy.LegacyLoginView.as_view(), name="login"),
    path("refresh", legacy.LegacyRefreshView.as_view(), name="refresh"),
    path("logout", legacy.LegacyLogoutView.as_view(), name="logout"),
]
