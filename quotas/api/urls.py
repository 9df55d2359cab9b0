app_name = "quotas-api"

urlpatterns: list = []
