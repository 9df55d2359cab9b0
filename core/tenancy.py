"""Tenant scoping of querysets, the one rule views, selectors and the console share."""

# The member a platform superuser names the organization a request is for with.
ORGANIZATION_PARAMETER = "organization_id"


def scope_to_organization(queryset, user, field: str | None = "organization"):
    """``queryset`` limited to ``user``'s organization (every organization for a platform
    superuser; nothing for a member of none). ``field`` leads from a row to its organization
    (``"user__organization"``); None when the rows are organizations themselves."""
    if user.is_superuser:
        return queryset
    organization_id = getattr(user, "organization_id", None)
    if organization_id is None:
        return queryset.none()
    return queryset.filter(**{"pk" if field is None else f"{field}_id": organization_id})


def scope_to_admin_or_owner(
    queryset, user, *, as_admin: bool, field: str = "organization", owner_field: str = "user"
):
    """Rows an organization admin sees whole and anyone else sees their own of (API keys, audit
    entries): with ``as_admin``, the organization's rows (:func:`scope_to_organization`: every
    row for a platform superuser); otherwise, or for an admin of no organization, the rows
    ``owner_field`` ties to ``user``."""
    if as_admin and (user.is_superuser or getattr(user, "organization_id", None) is not None):
        return scope_to_organization(queryset, user, field)
    return queryset.filter(**{owner_field: user})
