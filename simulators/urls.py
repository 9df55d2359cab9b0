"""Stand-ins for the upstreams, mounted under /sim/ when SIMULATORS_ENABLED is on."""

from django.urls import include, path

app_name = "simulators"

urlpatterns = [
    path("1nce/management-api/", include("simulators.onence.urls")),
    path("pmnl/", include("simulators.pmnl.urls")),
    path("horizon/", include("simulators.horizon.urls")),
]
