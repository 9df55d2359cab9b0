"""Reads of provisioning data, scoped to what the user may see."""

from core.tenancy import scope_to_organization
from provisioning.models import CustomerAuthorization, ProvisioningRequest, Subscriber


def subscribers_for(user):
    """The subscribers of the user's organization (every one for a platform superuser)."""
    return scope_to_organization(Subscriber.objects.all(), user)


def requests_for(user):
    """The user's provisioning requests; an organization admin sees the organization's."""
    queryset = scope_to_organization(ProvisioningRequest.objects.select_related("created_by"), user)
    if user.is_superuser or getattr(user, "role", None) == "admin":
        return queryset
    return queryset.filter(created_by=user)


def authorizations_for(user):
    """The customer ids ``user`` may provision."""
    return CustomerAuthorization.objects.filter(user=user).select_related("granted_by")
