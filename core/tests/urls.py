"""Test-only views that exercise the envelope, errors and pagination machinery."""

from django.http import JsonResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from accounts.models import Organization
from core.exceptions import Conflict, InvalidIccid
from core.idempotency import idempotent
from core.viewsets import FleetAPIView
from upstream.exceptions import UpstreamRejected, UpstreamTimeout, UpstreamUnavailable


class ItemSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=10)
    count = serializers.IntegerField(min_value=1)
    tags = serializers.ListField(child=serializers.CharField(max_length=3), required=False)


@api_view(["GET", "POST"])
@permission_classes([AllowAny])
def echo(request):
    if request.method == "POST":
        serializer = ItemSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(serializer.validated_data, status=201)
    return Response({"hello": "world"})


ERRORS = {
    "iccid": lambda: InvalidIccid(details={"field": "iccid", "reason": "Must be 19-20 digits"}),
    "conflict": lambda: Conflict("Already there."),
    "upstream": lambda: UpstreamRejected(
        "1NCE refused the request.", upstream="1nce", status_code=400, upstream_message="bad label"
    ),
    "unavailable": lambda: UpstreamUnavailable("1NCE is unavailable.", upstream="1nce"),
    "timeout": lambda: UpstreamTimeout("1NCE did not answer in time.", upstream="1nce"),
    "crash": lambda: RuntimeError("secret internals: password=hunter2"),
}


@api_view(["POST"])
@permission_classes([AllowAny])
def raw_body(request):
    """Reads ``request.body`` the way Django code does (subject to DATA_UPLOAD_MAX_MEMORY_SIZE)."""
    return Response({"bytes": len(request.body)})


@csrf_exempt
def plain_raw_body(request):
    """The same outside DRF: a plain Django view under /api."""
    return JsonResponse({"bytes": len(request.body)})


@api_view(["GET"])
@permission_classes([AllowAny])
def fail(request, kind):
    raise ERRORS[kind]()


class OrganizationList(ListAPIView):
    permission_classes = [AllowAny]
    queryset = Organization.objects.order_by("slug")

    class serializer_class(serializers.ModelSerializer):
        class Meta:
            model = Organization
            fields = ["id", "slug"]


class UnorderedOrganizationList(OrganizationList):
    queryset = Organization.objects.all().order_by()


class CreateOrganization(FleetAPIView):
    """Moves something: creates an organization per call (unless replayed)."""

    @idempotent
    def post(self, request):
        if request.data.get("fail"):
            raise Conflict("Refused.")
        count = Organization.objects.count()
        organization = Organization.objects.create(name="n", slug=f"idem-{count}")
        return Response({"slug": organization.slug}, status=201)


urlpatterns = [
    path("api/v1/idempotent", CreateOrganization.as_view()),
    path("api/v1/echo", echo),
    path("api/v1/raw", raw_body),
    path("api/v1/plain-raw", plain_raw_body),
    path("api/v1/fail/<str:kind>", fail),
    path("api/v1/orgs", OrganizationList.as_view()),
    path("api/v1/unordered", UnorderedOrganizationList.as_view()),
    path("", include("config.urls")),
]

# Django takes the error handlers from the root URLconf: the product's.
from config.urls import handler400, handler404, handler500  # noqa: E402, F401
