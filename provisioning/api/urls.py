from django.urls import path

from provisioning.api import views

app_name = "provisioning-api"

subscribers = views.SubscriberViewSet.as_view({"get": "list", "post": "create"})
subscriber = views.SubscriberViewSet.as_view({"get": "retrieve", "delete": "destroy"})
requests = views.ProvisioningRequestViewSet.as_view({"get": "list"})
request_detail = views.ProvisioningRequestViewSet.as_view({"get": "retrieve"})

urlpatterns = [
    path("subscribers", subscribers, name="subscriber-list"),
    path("subscribers/<str:id>", subscriber, name="subscriber-detail"),
    *[
        path(f"subscribers/<str:id>/{aspect}", view.as_view(), name=f"subscriber-{aspect}")
        for aspect, view in views.ASPECT_VIEWS.items()
    ],
    path("requests", requests, name="request-list"),
    path("requests/<str:id>", request_detail, name="request-detail"),
    path(
        "user/authorizations",
        views.UserAuthorizationViewSet.as_view({"get": "list"}),
        name="user-authorizations",
    ),
]
