"""Reads about who gets in: users by login name, live API keys, uses not yet written."""

from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone

from accounts.models import APIKey, User

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
