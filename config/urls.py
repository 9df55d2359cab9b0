from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from core import views as core_views
from core.api.views import ApiRootView
from core.routers import area

# Any order works: /sims/{iccid} routes never take a fixed path (core.identifiers.ICCID_SEGMENT).
# Each area is tried only for the first path segments it serves (core.routers.area); the SIM
# routes, the busiest, come first.
api_v1 = [
    area("sims.api.urls"),
    area("usage.api.urls"),
    area("quotas.api.urls"),
    area("sms.api.urls"),
    area("core.api.urls"),
    area("accounts.api.urls"),
    area("alerts.api.urls"),
    area("provisioning.api.urls"),
    area("outages.api.urls"),
    area("payments.api.urls"),
    area("sites.api.urls"),
]

urlpatterns = [
    path("", core_views.landing, name="landing"),
    path("health", core_views.health, name="health"),
    path("health/live", core_views.health_live, name="health-live"),
    path("health/ready", core_views.health_ready, name="health-ready"),
    path("metrics", core_views.metrics, name="metrics"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("openapi.json", core_views.OpenApiJsonView.as_view(), name="openapi-json"),
    path(
        "docs",
        core_views.docs_csp(SpectacularSwaggerSplitView.as_view(url_name="schema")),
        name="docs",
    ),
    path(
        "redoc",
        core_views.docs_csp(
            SpectacularRedocView.as_view(url_name="schema", template_name="core/redoc.html")
        ),
        name="redoc",
    ),
    path("redoc/redoc.standalone.js", core_views.redoc_bundle, name="redoc-bundle"),
    re_path(r"^api/v1/?$", ApiRootView.as_view(), name="api-root"),
    path("api/v1/", include(api_v1)),
    path("api/auth/", include("accounts.api.legacy_urls")),
    path("api/pmnl/", include("provisioning.api.legacy_urls")),
    path("admin/", admin.site.urls),
]

if settings.SIMULATORS_ENABLED:
    urlpatterns.append(path("sim/", include("simulators.urls")))

# Anything else under /api answers the error envelope, not an HTML page. CSRF-exempt like
# every API view: otherwise an unsafe method on an unknown path gets Django's HTML 403.
urlpatterns.append(re_path(r"^api(?:/|$)", csrf_exempt(core_views.api_not_found)))

handler400 = "core.views.handler400"
handler404 = "core.views.handler404"
handler500 = "core.views.handler500"
