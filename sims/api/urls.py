app_name = "sims-api"

urlpatterns: list = []
