"""Seed 003's ``/api/auth/*``: the same services as /api/v1/auth with seed 003's shapes."""

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from accounts import services
from accounts.api import views
from accounts.api.serializers import (
    LogoutResponseSerializer,
    OpenRegisterResponseSerializer,
    OpenRegisterSerializer,
    RefreshSerializer,
)
from accounts.models import Role
from core.context import Context
from core.schema import answers_errors
from core.viewsets import FleetAPIView


class OpenRegistrationClosed(PermissionDenied):
    default_detail = (
        "Open registration is disabled. Ask an administrator of your organization to create "
        "your account."
    )


class LegacyRegisterView(FleetAPIView):
    """Self-registration (seed 003), when ``OPEN_REGISTRATION`` is on.

    Creates an active viewer in no organization, who sees nothing until an organization
    admin adds them; 403 while open registration is off. Seed 003's shape, no envelope."""

    authentication_classes = []
    permission_classes = [AllowAny]
    envelope = False

    @answers_errors(403)  # open registration is off
    @extend_schema(
        request=OpenRegisterSerializer,
        responses={201: OpenRegisterResponseSerializer},
        auth=[],
        extensions={"x-envelope": False},
    )
    def post(self, request):
        if not settings.OPEN_REGISTRATION:
            raise OpenRegistrationClosed
        serializer = OpenRegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.create_user(
            **serializer.validated_data,
            role=Role.VIEWER,
            organization=None,
            context=Context.from_request(request),
        )
        return Response(OpenRegisterResponseSerializer(user).data, status=status.HTTP_201_CREATED)


class LegacyLoginView(views.LoginView):
    """Log in (seed 003's path).

    The same login and token pair as ``POST /api/v1/auth/login``, for seed 003's clients."""


class LegacyRefreshView(views.RefreshView):
    """Rotate a refresh token (seed 003's path).

    The same rotation as ``POST /api/v1/auth/refresh``, for seed 003's clients."""


class LegacyLogoutView(FleetAPIView):
    """Log out (seed 003's path).

    Revokes the refresh token sent, as ``POST /api/v1/auth/logout`` does, in seed 003's
    answer shape."""

    permission_classes = [IsAuthenticated]
    envelope = False

    @answers_errors(404)  # unknown or already revoked refresh token
    @extend_schema(
        request=RefreshSerializer,
        responses={200: LogoutResponseSerializer},
        extensions={"x-envelope": False},
    )
    def post(self, request):
        serializer = RefreshSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.logout(
            user=request.user,
            raw_refresh=serializer.validated_data["refresh_token"],
            context=Context.from_request(request),
        )
        return Response({"success": True, "msg": "Logged out successfully"})
