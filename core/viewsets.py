"""Base views: tenant scoping and log context, so an app's viewset is a few lines.

``FleetViewSet`` scopes every query to the caller's organization (``organization_field``);
platform superusers see every organization. An object of another organization is simply not
in the queryset, so it answers 404, never 403.

Organization-scoped writes (and the few reads that need one organization) act for
:func:`target_organization`: the caller's own organization, or the one a platform superuser
names with ``organization_id``.
"""

from collections.abc import Mapping

import structlog
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import Http404
from rest_framework import exceptions, generics, mixins, viewsets
from rest_framework.permissions import BasePermission
from rest_framework.views import APIView

from core import fastread
from core.exceptions import Unprocessable
from core.tenancy import ORGANIZATION_PARAMETER, scope_to_organization


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


def _named_organization_id(request):
    """``organization_id`` from the query string, else from a JSON object body."""
    value = request.query_params.get(ORGANIZATION_PARAMETER)
    if value is None and isinstance(request.data, Mapping):
        value = request.data.get(ORGANIZATION_PARAMETER)
    return value


def takes_no_body(handler):
    """Mark a write handler that reads no body (``@extend_schema(request=None)`` actions): a
    body sent to it is refused with 422 naming its fields, as a serializer refuses unknown
    ones (``core.serializers``), instead of being ignored. ``organization_id`` stays allowed:
    :func:`target_organization` reads it."""
    handler.takes_no_body = True
    return handler


def _refuse_unexpected_body(view, request) -> None:
    name = getattr(view, "action", None) or request.method.lower()
    handler = getattr(view, name, None)
    if not getattr(handler, "takes_no_body", False) or request.method in ("GET", "HEAD"):
        return
    body = request.data
    if not body:
        return
    unknown = (
        [str(key) for key in body if key != ORGANIZATION_PARAMETER]
        if isinstance(body, Mapping)
        else ["non_field_errors"]
    )
    if unknown:
        raise exceptions.ValidationError(
            {key: ["Unknown field; this endpoint takes no body."] for key in unknown}
        )


def _organization_error(message: str) -> Unprocessable:
    return Unprocessable({ORGANIZATION_PARAMETER: message}, message=message)


def target_organization(request):
    """The organization an organization-scoped request acts for.

    A member acts for their own organization (naming another one is refused, not silently
    ignored). A platform superuser, who may belong to none, names it with ``organization_id``
    (query string or body) and otherwise acts for their own; with neither the request is
    refused with 422 rather than written to no organization. A member without an organization
    gets 403, as elsewhere.
    """
    user = request.user
    named = _named_organization_id(request)
    if not user.is_superuser:
        if user.organization_id is None:
            raise exceptions.PermissionDenied("Your account belongs to no organization.")
        if named is not None and str(named) != str(user.organization_id):
            raise _organization_error("You may act only for your own organization.")
        return user.organization
    if named is None:
        if user.organization_id is None:
            raise _organization_error(
                "A platform superuser belongs to no organization: name the one this request is"
                f" for with {ORGANIZATION_PARAMETER}."
            )
        return user.organization
    # The model through the user, so core need not import accounts.
    organization_model = get_user_model()._meta.get_field("organization").related_model
    try:
        if isinstance(named, bool):
            raise TypeError(named)
        return organization_model.objects.get(pk=int(named))
    except (TypeError, ValueError, organization_model.DoesNotExist):
        raise _organization_error(f"No organization with id {named!r}.") from None


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
        _refuse_unexpected_body(self, request)
        user = request.user
        if user.is_authenticated:
            structlog.contextvars.bind_contextvars(
                user=user.get_username(), organization=getattr(user, "organization_id", None)
            )

    def target_organization(self):
        """The organization this request writes for (see :func:`target_organization`)."""
        return target_organization(self.request)

    def read_one(self, queryset, serializer, **lookup) -> dict:
        """The answer for the object of ``queryset`` that ``lookup`` names (404 without one),
        read as a row (``core.fastread.represent_one``), unless an object permission of the
        view could refuse it: that needs the object, checked as ``get_object`` checks it."""
        if any(
            type(permission).has_object_permission is not BasePermission.has_object_permission
            for permission in self.get_permissions()
        ):
            instance = queryset.filter(**lookup).first()
            if instance is None:
                raise Http404
            self.check_object_permissions(self.request, instance)
            return serializer.to_representation(instance)
        answer = fastread.represent_one(serializer, fastread.equal_to(queryset, **lookup))
        if answer is None:
            raise Http404
        return answer


# A view's class queryset scoped to one organization, by (queryset, field, organization id):
# never evaluated, only copied (``_chain``), so each request filters it no more (Django builds a
# filter from its keyword anew each time, a good part of a plain read's queryset work).
_scoped_querysets: dict = {}
_SCOPED_QUERYSETS_MAX = 10_000


class TenantScopedMixin(FleetViewMixin):
    organization_field = "organization"

    def get_serializer(self, *args, **kwargs):
        """DRF's, and the serializer is kept for ``core.cycles.release`` to empty once the
        answer is rendered (its answer may have gone on as bytes, not as its ``data``)."""
        serializer = super().get_serializer(*args, **kwargs)
        self.__dict__.setdefault("made_serializers", []).append(serializer)
        return serializer

    def get_queryset(self):
        user = self.request.user
        organization_id = getattr(user, "organization_id", None)
        if (
            user.is_superuser
            or organization_id is None
            or not isinstance(self.queryset, QuerySet)
            or super().get_queryset.__func__ is not generics.GenericAPIView.get_queryset
        ):
            return scope_to_organization(super().get_queryset(), user, self.organization_field)
        # GenericAPIView's own queryset (a copy of the class's): the same scoped one each time.
        key = (self.queryset, self.organization_field, organization_id)
        scoped = _scoped_querysets.get(key)
        if scoped is None:
            scoped = scope_to_organization(self.queryset.all(), user, self.organization_field)
            if len(_scoped_querysets) >= _SCOPED_QUERYSETS_MAX:
                _scoped_querysets.clear()
            _scoped_querysets[key] = scoped
        return scoped._chain()

    def perform_create(self, serializer):
        serializer.save(**{self.organization_field: self.target_organization()})


class FleetAPIView(FleetViewMixin, APIView):
    """For endpoints that are not about one model (actions, reports)."""


class FleetViewSet(TenantScopedMixin, viewsets.ModelViewSet):
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]


class FleetReadOnlyViewSet(TenantScopedMixin, viewsets.ReadOnlyModelViewSet):
    pass


class FleetRetrieveViewSet(TenantScopedMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    pass
