from django.urls import re_path

from core.identifiers import ICCID_PATH
from sms.api import views

app_name = "sms-api"


sms_list = views.SimSmsViewSet.as_view({"get": "list", "post": "create"})
sms_detail = views.SimSmsViewSet.as_view({"get": "retrieve", "delete": "destroy"})

urlpatterns = [
    re_path(rf"^sims/{ICCID_PATH}/sms/?$", sms_list, name="sms-list"),
    re_path(rf"^sims/{ICCID_PATH}/sms/(?P<id>[^/]+)/?$", sms_detail, name="sms-detail"),
]
