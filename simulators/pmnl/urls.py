"""PMNL v5 paths (seed 003 is the contract) and the OAuth2 token endpoint."""

from django.urls import path, re_path

from simulators.pmnl import views

ASPECTS = "aor|state|apn|network-access-list|credit|block-data-usage"

urlpatterns = [
    path("oauth2/token", views.token, name="pmnl-token"),
    path("v5/subscribers", views.subscribers, name="pmnl-subscribers"),
    path("v5/subscribers/<str:identifier>", views.subscriber, name="pmnl-subscriber"),
    re_path(
        rf"^v5/subscribers/(?P<identifier>[^/]+)/(?P<aspect>{ASPECTS})$",
        views.subscriber_aspect,
        name="pmnl-subscriber-aspect",
    ),
    re_path(
        r"^v5/requests/(?P<request_id>[0-9a-f-]{36})$", views.user_request, name="pmnl-request"
    ),
]
