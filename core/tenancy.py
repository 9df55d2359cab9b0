"""Tenant scoping of querysets, the one rule views, selectors and the console share."""

# The member a platform superuser names the organization a request is for with.
ORGANIZATION_PARAMETER = "organization_id"


def scope_to_organization(queryset, user, field: str = "organization"):
    """``queryset`` limited to ``user``'s organization (every organization for a platform
    superuser; nothing for a member of none)."""
    if user.is_superuser:
        return queryset
    organization_id = getattr(user, "organization_id", None)
    if organization_id is None:
        return queryset.none()
    return queryset.filter(**{f"{field}_id": organization_id})
