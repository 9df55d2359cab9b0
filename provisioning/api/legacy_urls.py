"""``/api/pmnl/``: seed 003's legacy provisioning facade."""

from django.urls import path

from provisioning.api import legacy

app_name = "provisioning-legacy"

urlpatterns = [
    path("createsub", legacy.CreateSubView.as_view(), name="createsub"),
    path("readsub", legacy.ReadSubView.as_view(), name="readsub"),
    path("updatesub", legacy.UpdateSubView.as_view(), name="updatesub"),
    path("deletesub/<str:iccid>", legacy.DeleteSubView.as_view(), name="deletesub"),
]
