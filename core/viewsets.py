"""Base views: tenant scoping and log context, so an app's viewset is a few lines.

``FleetViewSet`` scopes every query to the caller's organization (``organization_field``);
platform superusers see every organization. An object of another organization is simply not
in the queryset, so it answers 404, never 403.
"""

import structlog
from rest_framework import exceptions, mixins, viewsets
from rest_framework.views import APIView


def scope_to_organization(queryset, user, field: str = "organization"):
    if user.is_superuser:
        return queryset
    organization_id = getattr(user, "organization_id", None)
    if organization_id is None:
        return queryset.none()
    return queryset.filter(**{f"{field}_id": organization_id})


class ParentLookupMixin:
    """For views nested under another app's object (``/sims/{iccid}/quota``).

    ``get_parent()`` finds that object once per request through ``parent_lookup``, the owning
    app's selector: it takes the URL value and ``user=`` and validates, scopes and raises 404
    itself. So no app imports another app's views to reach its objects.
    """

    parent_url_kwarg = "iccid"
    parent_lookup = None  # staticmethod(selector), e.g. sims.selectors.sim_for_user

    def get_parent(self):
        if not hasattr(self, "_parent"):
            lookup = type(self).parent_lookup
            self._parent = lookup(self.kwargs[self.parent_url_kwarg], user=self.request.user)
        return self._parent


class FleetViewMixin:
    """What every FleetOps API view does before its handler.

    Same steps as DRF's ``APIView.initial`` but rate limits are checked before permissions,
    and failed authentication counts too, so anonymous and brute-force callers are limited
    (DRF would answer 401/403 before ever counting them). Then the caller is bound to every
    log line of the request.
    """

    def initial(self, request, *args, **kwargs):
        self.format_kwarg = self.get_format_suffix(**kwargs)
        request.accepted_renderer, request.accepted_media_type = self.perform_content_negotiation(
            request
        )
        request.version, request.versioning_scheme = self.determine_version(
            request, *args, **kwargs
        )
        try:
            self.perform_authentication(request)
        except exceptions.AuthenticationFailed:
            self.check_throttles(request)  # counted against the caller's address
            raise
        self.check_throttles(request)
        self.check_permissions(request)
        user = request.user
        if user.is_authenticated:
            structlog.contextvars.bind_contextvars(
                user=user.get_username(), organization=getattr(user, "organization_id", None)
            )


class TenantScopedMixin(FleetViewMixin):
    organization_field = "organization"

    def get_queryset(self):
        return scope_to_organization(
            super().get_queryset(), self.request.user, self.organization_field
        )

    def perform_create(self, serializer):
        serializer.save(**{self.organization_field: self.request.user.organization})


class FleetAPIView(FleetViewMixin, APIView):
    """For endpoints that are not about one model (actions, reports)."""


class FleetViewSet(TenantScopedMixin, viewsets.ModelViewSet):
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]


class FleetReadOnlyViewSet(TenantScopedMixin, viewsets.ReadOnlyModelViewSet):
    pass


class FleetRetrieveViewSet(TenantScopedMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    pass
