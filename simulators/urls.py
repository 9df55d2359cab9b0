"""Stand-ins for the upstreams, mounted under /sim/ when SIMULATORS_ENABLED is on."""

app_name = "simulators"

urlpatterns: list = []
