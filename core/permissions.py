"""Role-based permission, the API's default (REST_FRAMEWORK["DEFAULT_PERMISSION_CLASSES"]).

Every role reads; ``operator`` and ``admin`` write; a view may narrow writes further with
``write_roles``. A read-only API key makes its owner a viewer for that request.
"""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from accounts.models import Role


def effective_role(request) -> str | None:
    user = request.user
    if not user or not user.is_authenticated:
        return None
    if getattr(request.auth, "read_only", False):
        return Role.VIEWER
    if user.is_superuser:
        return Role.ADMIN
    return user.role


class RolePermission(BasePermission):
    message = "Your role does not allow this operation."
    default_write_roles = frozenset({Role.ADMIN, Role.OPERATOR})

    def has_permission(self, request, view) -> bool:
        role = effective_role(request)
        if role is None:
            return False
        if request.method in SAFE_METHODS:
            return True
        return role in getattr(view, "write_roles", self.default_write_roles)


class IsOrganizationAdmin(RolePermission):
    """Reads and writes for organization admins (and superusers) only."""

    message = "Only an organization admin may do this."

    def has_permission(self, request, view) -> bool:
        return effective_role(request) == Role.ADMIN
