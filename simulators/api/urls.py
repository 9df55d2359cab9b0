app_name = "simulators-api"

urlpatterns: list = []
