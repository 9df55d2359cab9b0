app_name = "usage-api"

urlpatterns: list = []
