from django.urls import path

from payments.api import views

app_name = "payments-api"

urlpatterns = [
    path("sla/execute-payment", views.ExecutePaymentView.as_view(), name="sla-execute-payment"),
    path("payments/process-sla", views.ProcessSlaView.as_view(), name="payment-process-sla"),
    path("payments/history", views.PaymentHistoryView.as_view(), name="payment-history"),
    path("analytics/payments", views.PaymentAnalyticsView.as_view(), name="payment-analytics"),
    path("wallets/create", views.WalletCreateView.as_view(), name="wallet-create"),
    path("wallets/<str:address>/balance", views.WalletBalanceView.as_view(), name="wallet-balance"),
    path("wallets/<str:user_id>/fund", views.WalletFundView.as_view(), name="wallet-fund"),
    path("wallets/<str:user_id>", views.WalletDetailView.as_view(), name="wallet-detail"),
]
