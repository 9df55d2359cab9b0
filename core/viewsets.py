"""Base views: tenant scoping and log context, so an app's viewset is a few lines.

``FleetViewSet`` scopes every query to the caller's organization (``organization_field``);
platform superusers see every organization. An object of another organization is simply not
in the queryset, so it answers 404, never 403.
"""

import structlog
from rest_framework import mixins, viewsets
from rest_framework.views import APIView


def scope_to_organization(queryset, user, field: str = "organization"):
    if user.is_superuser:
        return queryset
    organization_id = getattr(user, "organization_id", None)
    if organization_id is None:
        return queryset.none()
    return queryset.filter(**{f"{field}_id": organization_id})


class LogContextMixin:
    """Binds the authenticated caller to every log line of the request."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        user = request.user
        if user.is_authenticated:
            structlog.contextvars.bind_contextvars(
                user=user.get_username(), organization=getattr(user, "organization_id", None)
            )


class TenantScopedMixin(LogContextMixin):
    organization_field = "organization"

    def get_queryset(self):
        return scope_to_organization(
            super().get_queryset(), self.request.user, self.organization_field
        )

    def perform_create(self, serializer):
        serializer.save(**{self.organization_field: self.request.user.organization})


class FleetAPIView(LogContextMixin, APIView):
    """For endpoints that are not about one model (actions, reports)."""


class FleetViewSet(TenantScopedMixin, viewsets.ModelViewSet):
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]


class FleetReadOnlyViewSet(TenantScopedMixin, viewsets.ReadOnlyModelViewSet):
    pass


class FleetRetrieveViewSet(TenantScopedMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    pass
