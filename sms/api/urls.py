app_name = "sms-api"

urlpatterns: list = []
