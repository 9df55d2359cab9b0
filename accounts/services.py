"""Who gets in: logins, refresh tokens, API keys and user management.

Every function here writes its audit entry in the same transaction as its change.
"""

import contextlib
import hashlib
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.cache import cache
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.audit import record_audit
from accounts.metrics import LOGINS
from accounts.models import APIKey, AuditStatus, Organization, RefreshToken, Role, User
from accounts.selectors import KEY_USES_KEY, find_user_for_login, live_api_keys
from accounts.tokens import UnreadableToken, mint_pair, refresh_token_id
from core.context import SYSTEM, Context
from core.degraded import (
    CACHE_ERRORS,
    cache_get,
    cache_is_down,
    cache_set,
    mark_cache_down,
    redis_client,
    redis_key,
    redis_script,
)
from core.errors import Conflict, InvalidInput, NotAuthenticated, NotFound, PermissionDenied
from core.ratelimits import (
    authenticated_windows,
    count_windows_lua,
    window_keys,
    window_states,
)

API_KEY_PREFIX = "sk_live_"
REVOKED_SESSION_KEY = "auth:revoked-sid:{}"
KEY_FLUSH_LOCK = "auth:apikey-flush:{}"
API_KEY_CACHE_KEY = "auth:apikey:{}"
# Beside a cached key, its hash as plain text (the cached row is pickled): the one round trip
# that reads the key counts the request's rate limits only for a secret with that hash.
API_KEY_HASH_KEY = "auth:apikey-hash:{}"


class InvalidCredentials(NotAuthenticated):
    """Wrong username/e-mail or password, or an inactive user: one message for all."""

    default_message = "Invalid username or password."


class InvalidRefreshToken(NotAuthenticated):
    """A refresh token that is malformed, expired, unknown, rotated or revoked: one message."""

    default_message = "Invalid, expired or revoked refresh token."


class TokenNotFound(NotFound):
    """Logout of a token that is unknown, not the caller's, or already revoked."""

    default_message = "Token not found or already revoked."


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    user: User


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def access_lifetime_seconds() -> int:
    return int(settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds())


def login(*, identifier: str, password: str, context: Context) -> TokenPair:
    """Check credentials, issue an access/refresh pair and keep at most N refresh tokens
    (each remembers the context's address and user agent)."""
    user = find_user_for_login(identifier)
    if user is None or not user.is_active or not user.check_password(password):
        LOGINS.labels(outcome="failure").inc()
        record_audit(
            operation="LOGIN",
            resource_type="user",
            resource_id=identifier[:128],
            user=user if user is not None and user.is_active else None,
            status=AuditStatus.FAILED,
            context=context,
            response_status=401,
            error_message="Invalid credentials.",
        )
        raise InvalidCredentials
    with transaction.atomic():
        pair = _issue_tokens(user, context=context)
        User.objects.filter(pk=user.pk).update(last_login=timezone.now())
        record_audit(
            operation="LOGIN", resource_type="user", resource_id=user.pk, user=user, context=context
        )
    LOGINS.labels(outcome="success").inc()
    return pair


def _issue_tokens(user: User, *, context: Context, family: str | None = None) -> TokenPair:
    """A new access/refresh pair; ``family`` continues a session, None starts one."""
    # Access tokens carry their session (family) as ``sid``: ending the session ends them.
    pair = mint_pair(user, family=family)
    RefreshToken.objects.create(
        user=user,
        jti=pair.refresh_id,
        family=pair.family,
        token_hash=token_hash(pair.refresh),
        user_agent=context.user_agent,
        ip_address=context.ip_address,
        expires_at=timezone.now() + settings.SIMPLE_JWT["REFRESH_TOKEN_LIFETIME"],
    )
    _revoke_beyond_limit(user)
    return TokenPair(pair.access, pair.refresh, access_lifetime_seconds(), user)


def _active_tokens(user: User):
    return RefreshToken.objects.filter(
        user=user, revoked_at__isnull=True, expires_at__gt=timezone.now()
    )


def _revoke_beyond_limit(user: User) -> None:
    keep = settings.JWT_MAX_REFRESH_TOKENS
    surplus = list(_active_tokens(user).order_by("-created_at", "-id")[keep:])
    for token in surplus:
        _revoke_session(token.family)


def _revoke_session(family: str) -> int:
    """Revoke every live refresh token of a session and its access tokens; the count revoked."""
    revoked = RefreshToken.objects.filter(family=family, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    cache.set(REVOKED_SESSION_KEY.format(family), True, timeout=access_lifetime_seconds())
    return revoked


def is_session_revoked(sid: str) -> bool:
    """Whether the session (refresh-token family) ``sid`` was ended: a cache lookup, or with
    Redis down the database's answer (a session is ended when none of its refresh tokens is
    live: rotation replaces one in the same transaction, logout and reuse revoke them all)."""
    return bool(
        cache_get(
            REVOKED_SESSION_KEY.format(sid),
            when_down=lambda: not RefreshToken.objects.filter(
                family=sid, revoked_at__isnull=True
            ).exists(),
        )
    )


def refresh_access_token(*, raw_refresh: str, context: Context) -> TokenPair:
    """Rotate a refresh token: revoke it and answer a new access/refresh pair of its session.

    simplejwt's rotation semantics, with reuse detection: a refresh token works once. Presenting
    one that was already rotated means two parties hold the session (a stolen token, or a
    client that lost the answer), so the whole session is revoked and the attempt audited.
    """
    try:
        refresh_id = refresh_token_id(raw_refresh)  # checks signature, expiry and token type
    except UnreadableToken as exc:
        raise InvalidRefreshToken from exc
    record = (
        RefreshToken.objects.filter(token_hash=token_hash(raw_refresh))
        .select_related("user", "user__organization")
        .first()
    )
    if record is None or record.jti != refresh_id:
        raise InvalidRefreshToken
    if not record.user.is_active or record.expires_at <= timezone.now():
        raise InvalidRefreshToken
    with transaction.atomic():
        now = timezone.now()
        # The conditional update is the lock: of two concurrent uses exactly one rotates.
        rotated = RefreshToken.objects.filter(pk=record.pk, revoked_at__isnull=True).update(
            revoked_at=now, last_used_at=now
        )
        if rotated:
            return _issue_tokens(record.user, context=context, family=record.family)
    _refuse_reuse(record, context=context)
    raise InvalidRefreshToken


def _refuse_reuse(record: RefreshToken, *, context: Context) -> None:
    """A rotated or revoked refresh token came back: end its session if it is still live."""
    with transaction.atomic():
        if not _revoke_session(record.family):
            return  # the session had already ended (logout, limit): nothing left to protect
        record_audit(
            operation="REFRESH_TOKEN_REUSE",
            resource_type="user",
            resource_id=record.user_id,
            user=record.user,
            status=AuditStatus.FAILED,
            context=context,
            response_status=401,
            error_message="A rotated refresh token was used again; the session was revoked.",
        )


def _active_tokens_for_hash(raw: str):
    return RefreshToken.objects.filter(
        token_hash=token_hash(raw), revoked_at__isnull=True, expires_at__gt=timezone.now()
    )


@transaction.atomic
def logout(*, user: User, raw_refresh: str, context: Context) -> None:
    """End the session of a live refresh token: its tokens and access tokens stop working."""
    record = _active_tokens_for_hash(raw_refresh).filter(user=user).first()
    if record is None:
        raise TokenNotFound
    _revoke_session(record.family)
    record_audit(
        operation="LOGOUT", resource_type="user", resource_id=user.pk, user=user, context=context
    )


# --- Users ---------------------------------------------------------------------------


@transaction.atomic
def create_user(
    *,
    username: str,
    password: str,
    email: str = "",
    full_name: str = "",
    role: str = Role.VIEWER,
    organization: Organization | None = None,
    context: Context,
) -> User:
    """Create a user (audited with the context's actor, None for open registration); raises
    ``Conflict`` for a taken username or e-mail address, ``InvalidInput`` for a weak password."""
    if User.objects.filter(username__iexact=username).exists():
        raise Conflict("Username already exists.", details={"field": "username"})
    if email and User.objects.filter(email__iexact=email).exists():
        raise Conflict("E-mail address already in use.", details={"field": "email"})
    user = User(
        username=username, email=email, full_name=full_name, role=role, organization=organization
    )
    try:
        password_validation.validate_password(password, user)
    except DjangoValidationError as exc:
        raise InvalidInput({"password": exc.messages}) from None
    user.set_password(password)
    user.save()
    record_audit(
        operation="CREATE",
        resource_type="user",
        resource_id=user.pk,
        organization=organization,
        context=context,
        request_body={"username": username, "email": email, "role": role, "password": password},
        response_status=201,
    )
    return user


# What a console or API caller may change on a user: everything below for a superuser (or the
# system); an organization's admin only the role and the active flag of their own organization's
# users, never moving one to another organization nor granting staff or superuser rights.
USER_FIELDS = (
    "email",
    "first_name",
    "last_name",
    "full_name",
    "role",
    "is_active",
    "is_staff",
    "is_superuser",
    "organization",
)
USER_FIELDS_FOR_ORGANIZATION_ADMINS = ("role", "is_active")


def user_fields_changeable_by(actor, user: User) -> tuple[str, ...]:
    """The fields of ``user`` that ``actor`` (None: the system) may change; empty when none."""
    if actor is None or actor.is_superuser:
        return USER_FIELDS
    if (
        actor.is_active
        and actor.is_org_admin
        and actor.organization_id is not None
        and user.organization_id == actor.organization_id
        and not user.is_superuser
    ):
        return USER_FIELDS_FOR_ORGANIZATION_ADMINS
    return ()


def _audited_value(value):
    return value.pk if isinstance(value, Organization) else value


def _change_audited(row, values: dict, *, resource_type: str, resource_id, context: Context):
    """Save the fields of ``values`` that differ on ``row`` and write one audit entry with
    their before/after (nothing when none differs): the one shape of a console or API edit
    of an account's row. The entry concerns the row's organization."""
    changed = {name: value for name, value in values.items() if getattr(row, name) != value}
    if not changed:
        return row
    before = {name: _audited_value(getattr(row, name)) for name in changed}
    for name, value in changed.items():
        setattr(row, name, value)
    saved = [*changed, "updated_at"] if hasattr(row, "updated_at") else list(changed)
    row.save(update_fields=saved)
    organization = row if isinstance(row, Organization) else getattr(row, "organization", None)
    if isinstance(row, APIKey):
        organization = row.user.organization
    record_audit(
        operation="UPDATE",
        resource_type=resource_type,
        resource_id=resource_id,
        organization=organization,
        context=context,
        request_body={
            "before": before,
            "after": {name: _audited_value(value) for name, value in changed.items()},
        },
        response_status=200,
    )
    return row


def _require_platform_actor(context: Context, refusal: str) -> None:
    actor = context.actor
    if actor is not None and not actor.is_superuser:
        raise PermissionDenied(refusal)


@transaction.atomic
def update_user(*, user: User, values: dict, context: Context) -> User:
    """Change a user's profile, role, flags or organization (audited with before/after).

    ``PermissionDenied`` when the context's actor may not change one of ``values``
    (``user_fields_changeable_by``); ``Conflict`` for an e-mail address another user has.
    Saving drops the cached copies of the user's API keys (``accounts.signals``).
    """
    allowed = user_fields_changeable_by(context.actor, user)
    refused = sorted(set(values) - set(allowed))
    if refused:
        raise PermissionDenied(
            "You may not change these fields of this user.", details={"fields": refused}
        )
    email = values.get("email")
    if email and User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
        raise Conflict("E-mail address already in use.", details={"field": "email"})
    return _change_audited(user, values, resource_type="user", resource_id=user.pk, context=context)


@transaction.atomic
def set_user_password(*, user: User, password: str | None, context: Context) -> User:
    """Set a user's password (``None`` disables password login), checked by the password
    policy, audited (the password never) and ending the user's live sessions: whoever held
    the old password no longer holds a session with it. A superuser's act, or the system's."""
    _require_platform_actor(context, "Only a platform superuser sets another user's password.")
    if password is None:
        user.set_unusable_password()
    else:
        try:
            password_validation.validate_password(password, user)
        except DjangoValidationError as exc:
            raise InvalidInput({"password": exc.messages}) from None
        user.set_password(password)
    user.save(update_fields=["password"])
    for family in set(_active_tokens(user).values_list("family", flat=True)):
        _revoke_session(family)
    record_audit(
        operation="SET_PASSWORD",
        resource_type="user",
        resource_id=user.pk,
        organization=user.organization,
        context=context,
        request_body={"password_login": password is not None},
        response_status=200,
    )
    return user


# --- Organizations ---------------------------------------------------------------------

ORGANIZATION_FIELDS = ("name", "slug", "is_active")


PLATFORM_ONLY = "Only a platform superuser manages organizations."


def _refuse_taken_slug(slug: str, *, organization: Organization | None = None) -> None:
    taken = Organization.objects.filter(slug=slug)
    if organization is not None:
        taken = taken.exclude(pk=organization.pk)
    if taken.exists():
        raise Conflict("An organization with this slug already exists.", details={"field": "slug"})


@transaction.atomic
def create_organization(
    *, name: str, slug: str, is_active: bool = True, context: Context
) -> Organization:
    """Create a tenant (a platform superuser's or the system's act; audited)."""
    _require_platform_actor(context, PLATFORM_ONLY)
    _refuse_taken_slug(slug)
    organization = Organization.objects.create(name=name, slug=slug, is_active=is_active)
    record_audit(
        operation="CREATE",
        resource_type="organization",
        resource_id=organization.pk,
        organization=organization,
        context=context,
        request_body={"name": name, "slug": slug, "is_active": is_active},
        response_status=201,
    )
    return organization


@transaction.atomic
def update_organization(
    *, organization: Organization, values: dict, context: Context
) -> Organization:
    """Rename, re-slug, deactivate or reactivate a tenant (a platform superuser's or the
    system's act; audited with before/after). ``values`` names fields of
    ``ORGANIZATION_FIELDS``."""
    _require_platform_actor(context, PLATFORM_ONLY)
    unknown = sorted(set(values) - set(ORGANIZATION_FIELDS))
    if unknown:
        raise InvalidInput({name: ["Not a field that can be changed."] for name in unknown})
    if "slug" in values:
        _refuse_taken_slug(values["slug"], organization=organization)
    return _change_audited(
        organization,
        values,
        resource_type="organization",
        resource_id=organization.pk,
        context=context,
    )


# --- API keys ------------------------------------------------------------------------


@transaction.atomic
def issue_api_key(
    *,
    user: User,
    name: str,
    expires_at=None,
    read_only: bool = False,
    context: Context = SYSTEM,
) -> tuple[APIKey, str]:
    """Create a key; the full key is returned once and never stored.

    A user holds at most ``API_KEY_MAX_PER_USER`` live (unrevoked, unexpired) keys: past that
    ``Conflict``, so a leaked login cannot mint keys without bound.
    """
    # Lock the owner so two concurrent creations cannot both pass the cap.
    User.objects.select_for_update().filter(pk=user.pk).first()
    limit = settings.API_KEY_MAX_PER_USER
    if live_api_keys(user).count() >= limit:
        raise Conflict(
            f"This user already has {limit} live API keys, the most allowed. "
            "Revoke one you no longer use first.",
            details={"limit": limit},
        )
    api_key, raw = APIKey.objects.create_key(
        user=user, name=name, expiry_date=expires_at, read_only=read_only
    )
    record_audit(
        operation="CREATE",
        resource_type="api_key",
        resource_id=api_key.prefix,
        user=user,
        context=context,
        request_body={"name": name, "read_only": read_only, "expires_at": str(expires_at or "")},
        response_status=201,
    )
    return api_key, f"{API_KEY_PREFIX}{raw}"


@transaction.atomic
def revoke_api_key(*, api_key: APIKey, context: Context) -> None:
    if api_key.revoked:
        raise Conflict("API key is already revoked.")
    api_key.revoked = True
    api_key.revoked_at = timezone.now()
    # Saving drops the cached copy now (Redis down: 503, rolled back, the key stays live rather
    # than revoked here and still accepted from the cache later) and again after commit.
    api_key.save(update_fields=["revoked", "revoked_at"])
    record_audit(
        operation="REVOKE",
        resource_type="api_key",
        resource_id=api_key.prefix,
        organization=api_key.user.organization,
        context=context,
        response_status=204,
    )


@transaction.atomic
def rename_api_key(*, api_key: APIKey, name: str, context: Context) -> APIKey:
    """Rename a live key (audited with before/after). A key's owner, expiry and read-only flag
    are set when it is issued and never edited; a revoked key is not changed at all.

    Saving drops the cached copy (``accounts.signals``), so the next use reads the new name."""
    key = (
        APIKey.objects.select_for_update(of=("self",))
        .select_related("user__organization")
        .get(pk=api_key.pk)
    )
    if key.revoked:
        raise Conflict("A revoked API key cannot be changed.")
    return _change_audited(
        key, {"name": name}, resource_type="api_key", resource_id=key.prefix, context=context
    )


@transaction.atomic
def revoke_api_keys(*, api_keys, context: Context) -> int:
    """Revoke the live keys among ``api_keys`` (a queryset) at once: one update, their cached
    copies dropped now and after commit (a bulk update sends no ``post_save``, so nothing else
    would), one audit entry each. The console's bulk action and ``seed_demo --new-key`` revoke
    through here; returns how many were revoked."""
    keys = list(
        api_keys.filter(revoked=False)
        .select_for_update(of=("self",))
        .select_related("user__organization")
        .order_by("pk")
    )
    if not keys:
        return 0
    APIKey.objects.filter(pk__in=[key.pk for key in keys]).update(
        revoked=True, revoked_at=timezone.now()
    )
    forget_api_keys_now_and_after_commit([key.prefix for key in keys])
    for key in keys:
        record_audit(
            operation="REVOKE",
            resource_type="api_key",
            resource_id=key.prefix,
            context=context,
            organization=key.user.organization,
            response_status=204,
        )
    return len(keys)


def _split_api_key(raw: str) -> tuple[str, str] | None:
    """``(prefix, key)`` of a raw ``sk_live_<prefix>.<secret>``, or None when malformed."""
    key = raw.removeprefix(API_KEY_PREFIX)
    prefix, dot, secret = key.partition(".")
    if not dot or not prefix or not secret:
        return None
    return prefix, key


def _usable(api_key: APIKey, key: str) -> bool:
    """The key is live (not revoked nor expired, its owner active) and ``key`` is its secret."""
    if api_key.revoked or api_key.has_expired or not api_key.user.is_active:
        return False
    return APIKey.objects.key_generator.verify(key, api_key.hashed_key)


def find_api_key(raw: str) -> APIKey | None:
    """The usable key for a raw ``sk_live_<prefix>.<secret>``, or None (unknown, wrong, revoked,
    expired, or its owner inactive).

    The key row and its owner are cached (``API_KEY_CACHE_SECONDS``) so a request costs no
    query; revoking a key, or saving its owner, drops the cached copy at once. With Redis
    down both come from the database.
    """
    parsed = _split_api_key(raw)
    if parsed is None:
        return None
    prefix, key = parsed
    cache_key = API_KEY_CACHE_KEY.format(prefix)
    api_key = cache_get(cache_key)
    if api_key is None:
        api_key = APIKey.objects.filter(prefix=prefix).select_related("user").first()
        if api_key is None:
            return None
        if cache_set(cache_key, api_key, timeout=settings.API_KEY_CACHE_SECONDS):
            _cache_key_hash(api_key)
    return api_key if _usable(api_key, key) else None


def _cache_key_hash(api_key: APIKey) -> None:
    """The key's hash beside its cached row (``API_KEY_HASH_KEY``), best effort: without it
    the request's rate limits are counted in a round trip of their own."""
    client = redis_client()
    if client is not None:
        with contextlib.suppress(*CACHE_ERRORS):
            client.set(
                redis_key(API_KEY_HASH_KEY.format(api_key.prefix)),
                api_key.hashed_key,
                ex=settings.API_KEY_CACHE_SECONDS,
            )


def _hash_of(key: str) -> str:
    """The stored form of a presented key (what ``KeyGenerator.verify`` compares)."""
    return APIKey.objects.key_generator.preferred_hasher.encode(key, "")


# prefix -> the user id of its key's owner, as this process has read them (a key's owner never
# changes): names the owner's rate-limit windows before the key is read.
_key_owners: dict[str, int] = {}
_KEY_OWNERS_MAX = 10_000

# The cached key and, when there is one, its use counted and the minute's flush lock tried
# (``record_api_key_use``), in one round trip. When the key's hash (KEYS[4]) is the presented
# secret's (ARGV[2]), the request's rate-limit windows (KEYS[5..], core.ratelimits) are counted
# too: a forged secret never counts against a real key's limits.
_FIND_AND_COUNT = (
    """
local cached = redis.call('GET', KEYS[1])
if not cached then return {false, 0} end
redis.call('INCR', KEYS[2])
local locked = redis.call('SET', KEYS[3], 1, 'NX', 'EX', tonumber(ARGV[1]))
local out = {cached, locked and 1 or 0}
if #KEYS > 4 and redis.call('GET', KEYS[4]) == ARGV[2] then"""
    + count_windows_lua(5, 3)
    + """end
return out
"""
)


def authenticate_api_key(raw: str) -> APIKey | None:
    """:func:`find_api_key` and, for a usable key, :func:`record_api_key_use`: one round trip
    to Redis when the key is cached (the usual case), which reads the cached row (dropped at
    once on revocation, as for ``find_api_key``) and counts the use together, and, once this
    process knows the key's owner, the request's rate limits (``rate_limit_states`` of the
    key, for ``core.throttling.FleetRateThrottle``). A key that then proves unusable has its
    use and its counts taken back; a key not cached takes the two calls' own path."""
    parsed = _split_api_key(raw)
    if parsed is None:
        return None
    prefix, key = parsed
    client = redis_client()
    if client is not None and not cache_is_down():
        keys = [
            redis_key(name.format(prefix))
            for name in (API_KEY_CACHE_KEY, KEY_USES_KEY, KEY_FLUSH_LOCK)
        ]
        args = [60]
        owner = _key_owners.get(prefix)
        windows = None
        if owner is not None and settings.RATE_LIMIT_ENABLED:
            windows = authenticated_windows(owner, APIKey.rate_limit_key_of(prefix))
            keys += [redis_key(API_KEY_HASH_KEY.format(prefix)), *window_keys(windows)]
            args += [_hash_of(key), *(window.seconds for _, window in windows)]
        try:
            cached, locked, *counts = redis_script(client, _FIND_AND_COUNT)(keys=keys, args=args)
        except CACHE_ERRORS as exc:
            mark_cache_down(error=exc)
        else:
            if cached is not None:
                api_key = cache.client.decode(cached)
                if not _usable(api_key, key):
                    with contextlib.suppress(*CACHE_ERRORS):
                        taken_back = keys[1:2] + (window_keys(windows) if counts else [])
                        pipe = client.pipeline(transaction=False)
                        for name in taken_back:
                            pipe.decr(name)
                        pipe.execute()
                    return None
                if owner is None:
                    _remember_owner(api_key)
                elif counts and api_key.user_id == owner:
                    api_key.rate_limit_states = window_states(windows, counts)
                elif windows:  # the right secret, so its hash was missing beside the row
                    _cache_key_hash(api_key)
                if locked:
                    flush_api_key_uses(prefix)
                return api_key
    api_key = find_api_key(raw)
    if api_key is not None:
        _remember_owner(api_key)
        record_api_key_use(api_key)
    return api_key


def _remember_owner(api_key: APIKey) -> None:
    if len(_key_owners) >= _KEY_OWNERS_MAX:
        _key_owners.clear()
    _key_owners[api_key.prefix] = api_key.user_id


def forget_cached_api_keys(*prefixes: str) -> None:
    """Drop cached keys. Raises when Redis is unreachable: a change that must reach every
    process (a revocation, a deactivated owner) must not pass while a stale copy survives."""
    cache.delete_many(
        [
            name.format(prefix)
            for prefix in prefixes
            for name in (API_KEY_CACHE_KEY, API_KEY_HASH_KEY)
        ]
    )


def forget_api_keys_now_and_after_commit(prefixes: list[str]) -> None:
    """Drop cached keys inside the change's transaction, so that with Redis down the change
    fails (503, rolled back) instead of leaving a stale copy to be served once Redis is back;
    and again after commit, in case a reader cached the old row in between (best effort: the
    change is committed by then)."""
    forget_cached_api_keys(*prefixes)

    def again():
        with contextlib.suppress(*CACHE_ERRORS):
            forget_cached_api_keys(*prefixes)

    transaction.on_commit(again)


def record_api_key_use(api_key: APIKey) -> None:
    """Count a use in the cache; write the tally to the database at most once a minute.

    With Redis down the use is written to the database at once (the tally must not be lost,
    and a failing counter must not fail the request)."""
    if not cache_is_down():
        try:
            if _count_api_key_use(api_key.prefix):
                flush_api_key_uses(api_key.prefix)
            return
        except CACHE_ERRORS as exc:
            mark_cache_down(error=exc)
    APIKey.objects.filter(prefix=api_key.prefix).update(
        usage_count=F("usage_count") + 1, last_used_at=timezone.now()
    )


def _count_api_key_use(prefix: str) -> bool:
    """Count one use and try to take the minute's flush lock, in one round trip to Redis;
    whether the lock was taken (then this request writes the tally)."""
    uses_key, lock_key = KEY_USES_KEY.format(prefix), KEY_FLUSH_LOCK.format(prefix)
    client = redis_client()
    if client is None:  # embedded mode's file cache
        try:
            cache.incr(uses_key)
        except ValueError:  # first use since the last flush
            cache.set(uses_key, 1, timeout=None)
        return cache.add(lock_key, 1, timeout=60)
    # INCR starts a missing tally at 1 (no expiry), as cache.set(uses_key, 1) did; SET NX EX is
    # cache.add's lock. The cache reads both back (integers are stored as plain numbers).
    pipe = client.pipeline(transaction=False)
    pipe.incr(redis_key(uses_key))
    pipe.set(redis_key(lock_key), 1, nx=True, ex=60)
    return bool(pipe.execute()[1])


def flush_api_key_uses(prefix: str) -> None:
    uses_key = KEY_USES_KEY.format(prefix)
    pending = cache.get(uses_key) or 0
    if pending:
        cache.decr(uses_key, pending)
        APIKey.objects.filter(prefix=prefix).update(
            usage_count=F("usage_count") + pending, last_used_at=timezone.now()
        )


def prune_expired_tokens(*, older_than: timedelta = timedelta(days=30)) -> int:
    """Delete refresh tokens expired or revoked more than ``older_than`` ago."""
    cutoff = timezone.now() - older_than
    deleted, _ = RefreshToken.objects.filter(
        Q(expires_at__lt=cutoff) | Q(revoked_at__lt=cutoff)
    ).delete()
    return deleted
