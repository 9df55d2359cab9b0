"""Horizon's paths (the subset FleetOps and stellar-sdk use)."""

from django.urls import path, re_path

from simulators.horizon import views

urlpatterns = [
    path("", views.root, name="horizon-root"),
    path("friendbot", views.friendbot, name="horizon-friendbot"),
    path("transactions", views.transactions, name="horizon-transactions"),
    re_path(
        r"^transactions/(?P<tx_hash>[0-9a-fA-F]{64})$",
        views.transaction_detail,
        name="horizon-transaction",
    ),
    path("accounts/<str:account_id>", views.account_detail, name="horizon-account"),
    path(
        "accounts/<str:account_id>/transactions",
        views.account_transactions,
        name="horizon-account-transactions",
    ),
]
