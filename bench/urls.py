"""A minimal endpoint, twice: with the API's default authentication, permissions and rate
limits, and with none of them. Used by bench/auth.py."""

from django.urls import include, path
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from core.viewsets import FleetAPIView


class Ping(FleetAPIView):
    def get(self, request):
        return Response({"pong": True})


class OpenPing(Ping):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []


urlpatterns = [
    path("bench/ping", Ping.as_view()),
    path("bench/open-ping", OpenPing.as_view()),
    path("", include("config.urls")),
]
