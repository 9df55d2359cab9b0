app_name = "outages-api"

urlpatterns: list = []
