from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from accounts.api.serializers import OrganizationSerializer
from accounts.models import Organization, Role
from core.viewsets import FleetViewSet


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
        user = self.request.user
        if user.is_superuser:
            return Organization.objects.all()
        return Organization.objects.filter(pk=user.organization_id)

    @action(detail=False, methods=["get"])
    def current(self, request):
        organization = self.get_queryset().filter(pk=request.user.organization_id).first()
        if organization is None:
            raise NotFound("You do not belong to an organization yet.")
        return Response(self.get_serializer(organization).data)
