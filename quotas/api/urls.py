from django.urls import re_path

from core.identifiers import ICCID_PATH
from quotas.api import views

app_name = "quotas-api"


urlpatterns = [
    re_path(r"^sims/topup/?$", views.BulkTopUpView.as_view(), name="bulk-topup"),
    re_path(r"^sims/auto-topup/?$", views.AutoTopUpView.as_view(), name="auto-topup"),
    re_path(rf"^sims/{ICCID_PATH}/quota/data/?$", views.DataQuotaView.as_view(), name="quota-data"),
    re_path(rf"^sims/{ICCID_PATH}/quota/sms/?$", views.SmsQuotaView.as_view(), name="quota-sms"),
    re_path(rf"^sims/{ICCID_PATH}/topup/?$", views.SimTopUpView.as_view(), name="topup"),
    re_path(
        rf"^sims/{ICCID_PATH}/topups/(?P<transaction_id>[A-Za-z0-9_]+)/?$",
        views.SimTopUpDetailView.as_view(),
        name="topup-detail",
    ),
]
