"""Reads about who gets in: users by login name, live API keys, uses not yet written; and what
a caller may list of keys, audit entries and organizations (scoped by ``core.tenancy``)."""

from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone

from accounts.models import APIKey, AuditLog, Organization, User
from core.tenancy import scope_to_admin_or_owner, scope_to_organization

KEY_USES_KEY = "auth:apikey-uses:{}"


def find_user_for_login(identifier: str) -> User | None:
    """A user by username, or by e-mail address (seed 004 logs in by e-mail)."""
    lookup = Q(username=identifier)
    if "@" in identifier:
        lookup |= Q(email__iexact=identifier)
    return User.objects.filter(lookup).select_related("organization").first()


def live_api_keys(user: User):
    """The user's keys that still authenticate (neither revoked nor expired)."""
    return APIKey.objects.filter(user=user, revoked=False).filter(
        Q(expiry_date__isnull=True) | Q(expiry_date__gt=timezone.now())
    )


def pending_api_key_uses(prefix: str) -> int:
    return cache.get(KEY_USES_KEY.format(prefix)) or 0


def api_keys_visible_to(user: User, *, as_admin: bool):
    """The keys ``user`` may list: an organization admin's, every key of the organization
    (every key for a platform superuser); anyone else's, their own."""
    keys = APIKey.objects.select_related("user")
    return scope_to_admin_or_owner(keys, user, as_admin=as_admin, field="user__organization")


def audit_entries_visible_to(user: User, *, as_admin: bool):
    """The audit entries ``user`` may read: an organization admin's, the organization's
    (everything for a platform superuser); anyone else's, their own."""
    return scope_to_admin_or_owner(AuditLog.objects.all(), user, as_admin=as_admin)


def organizations_of(user: User):
    """The organizations ``user`` belongs to: its one, or every one for a platform superuser."""
    return scope_to_organization(Organization.objects.all(), user, field=None)
