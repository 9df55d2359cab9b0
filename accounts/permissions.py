"""Role-based permission, the API's default (REST_FRAMEWORK["DEFAULT_PERMISSION_CLASSES"]).

Every role reads; ``operator`` and ``admin`` write; a view may narrow writes further with
``write_roles``. A read-only API key makes its owner a viewer for that request.
"""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from accounts.models import Role


def is_read_only_credential(request) -> bool:
    """True when the request is signed with a read-only API key."""
    return bool(getattr(request.auth, "read_only", False))


def effective_role(request) -> str | None:
    """The role a request acts with: its user's, but a viewer's for a read-only key.

    Use it (never ``request.user.role``) for every decision about what a request may see or do.
    """
    user = request.user
    if not user or not user.is_authenticated:
        return None
    if is_read_only_credential(request):
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


class WritableCredential(BasePermission):
    """Writes need a credential that may write: a read-only API key only reads, whatever the
    role. For views open to viewers' writes (a viewer may hold keys of its own)."""

    message = "A read-only API key cannot do this."

    def has_permission(self, request, view) -> bool:
        return request.method in SAFE_METHODS or not is_read_only_credential(request)
