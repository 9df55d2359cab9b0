from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from accounts import services
from accounts.api.serializers import (
    APIKeyCreatedSerializer,
    APIKeySerializer,
    AuditLogSerializer,
    LoginSerializer,
    LogoutResponseSerializer,
    OrganizationSerializer,
    RefreshSerializer,
    RegisterSerializer,
    TokenResponseSerializer,
    UserSerializer,
)
from accounts.filters import AuditLogFilterSet
from accounts.models import APIKey, AuditLog, Organization, Role
from accounts.permissions import (
    IsOrganizationAdmin,
    RolePermission,
    WritableCredential,
    effective_role,
)
from accounts.selectors import api_keys_visible_to, audit_entries_visible_to, organizations_of
from core.context import Context
from core.pagination import FleetPagination
from core.schema import ORGANIZATION_ID_PARAMETER, answers_errors
from core.throttling import FleetRateThrottle, LoginRateThrottle
from core.viewsets import FleetAPIView, FleetViewMixin, FleetViewSet

TOKEN_SCHEMA = {
    "responses": {200: TokenResponseSerializer},
    "extensions": {"x-envelope": False},
}


def token_response(pair: services.TokenPair) -> Response:
    body = TokenResponseSerializer(
        {
            "access_token": pair.access_token,
            "refresh_token": pair.refresh_token,
            "expires_in": pair.expires_in,
            "user": pair.user,
        }
    ).data
    return Response(body, headers={"Cache-Control": "no-store"})


class LoginView(FleetAPIView):
    """Log in with ``username`` or ``email`` and ``password``; answers a token pair.

    The answer is not wrapped in the envelope (seed 001's token shape): ``access_token``,
    ``refresh_token``, ``token_type``, ``expires_in`` and ``user``. At most
    ``RATE_LIMIT_LOGIN_PER_MINUTE`` attempts a minute per address."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [FleetRateThrottle, LoginRateThrottle]
    envelope = False

    @answers_errors(401)  # wrong username or password
    @extend_schema(request=LoginSerializer, auth=[], **TOKEN_SCHEMA)
    def post(self, request):
        serializer = LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        pair = services.login(
            identifier=serializer.validated_data["identifier"],
            password=serializer.validated_data["password"],
            context=Context.from_request(request),
        )
        return token_response(pair)


class RefreshView(FleetAPIView):
    """Rotate a refresh token: a new access and refresh token; the one sent stops working.

    Not wrapped in the envelope, like login. Sending a rotated refresh token again revokes
    the whole session (401, audited as ``REFRESH_TOKEN_REUSE``)."""

    authentication_classes = []
    permission_classes = [AllowAny]
    envelope = False

    @answers_errors(401)  # invalid, expired or revoked refresh token
    @extend_schema(request=RefreshSerializer, auth=[], **TOKEN_SCHEMA)
    def post(self, request):
        serializer = RefreshSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        pair = services.refresh_access_token(
            raw_refresh=serializer.validated_data["refresh_token"],
            context=Context.from_request(request),
        )
        return token_response(pair)


class LogoutView(FleetAPIView):
    """Revoke one of the caller's refresh tokens (and the access tokens issued from it).

    Ends the session of that refresh token; the caller's other sessions stay."""

    permission_classes = [IsAuthenticated]

    @answers_errors(404)  # unknown or already revoked refresh token
    @extend_schema(request=RefreshSerializer, responses={200: LogoutResponseSerializer})
    def post(self, request):
        serializer = RefreshSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.logout(
            user=request.user,
            raw_refresh=serializer.validated_data["refresh_token"],
            context=Context.from_request(request),
        )
        return Response({"success": True, "msg": "Logged out successfully"})


class MeView(FleetAPIView):
    """Describe the caller.

    The authenticated user (or the API key's owner): username, e-mail, name, role,
    organization, whether active or a platform superuser, and when the account was created."""

    @extend_schema(responses={200: UserSerializer})
    def get(self, request):
        return Response(UserSerializer(request.user).data)


class RegisterView(FleetAPIView):
    """Create a user in the organization (admins).

    An organization admin creates a user, with a role, in the admin's organization; a
    platform superuser names the organization with ``organization_id``."""

    permission_classes = [IsOrganizationAdmin]

    @extend_schema(
        request=RegisterSerializer,
        responses={201: UserSerializer},
        parameters=[ORGANIZATION_ID_PARAMETER],
    )
    def post(self, request):
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.create_user(
            **serializer.validated_data,
            organization=self.target_organization(),
            context=Context.from_request(request),
        )
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)


class APIKeyViewSet(
    FleetViewMixin,
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The caller's API keys (an organization admin sees and revokes the organization's).

    Rights come from the request's effective role: an admin's read-only key acts as a viewer,
    sees only its owner's keys and creates or revokes none.
    """

    serializer_class = APIKeySerializer
    permission_classes = [RolePermission, WritableCredential]
    lookup_field = "prefix"
    lookup_url_kwarg = "id"
    write_roles = frozenset(Role.values)  # anyone may hold keys; a viewer's key stays a viewer
    sort_fields = {"created_at": "created", "name": "name", "last_used_at": "last_used_at"}
    default_sort = ("created_at", "desc")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return APIKey.objects.none()
        as_admin = effective_role(self.request) == Role.ADMIN
        return api_keys_visible_to(self.request.user, as_admin=as_admin)

    @answers_errors(409)  # the user holds API_KEY_MAX_PER_USER live keys already
    @extend_schema(responses={201: APIKeyCreatedSerializer})
    def create(self, request, *args, **kwargs):
        """Issue an API key.

        The answer holds the key, ``sk_live_<prefix>.<secret>``, once; only its prefix is kept
        readable. At most ``API_KEY_MAX_PER_USER`` live keys per user (409 beyond)."""
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        api_key, raw = services.issue_api_key(
            user=request.user,
            name=data["name"],
            expires_at=data.get("expiry_date"),
            read_only=data.get("read_only", False),
            context=Context.from_request(request),
        )
        body = APIKeyCreatedSerializer(api_key).data
        body["key"] = raw
        return Response(body, status=status.HTTP_201_CREATED, headers={"Cache-Control": "no-store"})

    @answers_errors(409)  # the key is already revoked
    def destroy(self, request, *args, **kwargs):
        """Revoke an API key.

        By its prefix; it stops working at once on every process. An organization admin may
        revoke the organization's keys. Audited."""
        return super().destroy(request, *args, **kwargs)

    def perform_destroy(self, instance):
        services.revoke_api_key(api_key=instance, context=Context.from_request(self.request))


class AuditPagination(FleetPagination):
    max_page_size = 1000


class AuditLogViewSet(FleetViewMixin, viewsets.ReadOnlyModelViewSet):
    """Audit entries: your own; an organization admin's organization; everything for superusers."""

    serializer_class = AuditLogSerializer
    filterset_class = AuditLogFilterSet
    pagination_class = AuditPagination
    sort_fields = {"created_at": "created_at"}
    default_sort = ("created_at", "desc")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return AuditLog.objects.none()
        as_admin = effective_role(self.request) == Role.ADMIN
        return audit_entries_visible_to(self.request.user, as_admin=as_admin)


class OrganizationViewSet(FleetViewSet):
    """Organizations the caller belongs to (all of them for platform superusers).

    ``current`` is the caller's own; its admin may rename it.
    """

    queryset = Organization.objects.all()
    serializer_class = OrganizationSerializer
    http_method_names = ["get", "put", "patch", "head", "options"]
    write_roles = frozenset({Role.ADMIN})
    search_fields = ["name", "slug"]
    sort_fields = {"name": "name", "created_at": "created_at"}
    default_sort = ("name", "asc")

    def get_queryset(self):
        return organizations_of(self.request.user)

    @answers_errors(404)  # a platform superuser outside any organization
    @action(detail=False, methods=["get"])
    def current(self, request):
        """Get the caller's own organization.

        The organization the caller belongs to (404 for a superuser in none)."""
        organization = get_object_or_404(self.get_queryset(), pk=request.user.organization_id)
        return Response(self.get_serializer(organization).data)
