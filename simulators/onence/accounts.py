"""Simulator accounts and the bearer tokens they are issued."""

import hmac
import secrets
from datetime import timedelta

from django.conf import settings

from simulators.onence import clock
from simulators.onence.models import OnenceAccount, OnenceToken

TOKEN_TTL_SECONDS = 3600


def default_account() -> OnenceAccount:
    """The account of ``settings.ONENCE_CLIENT_ID``, created on first use."""
    account, _ = OnenceAccount.objects.get_or_create(
        client_id=settings.ONENCE_CLIENT_ID,
        defaults={"client_secret": settings.ONENCE_CLIENT_SECRET},
    )
    return account


def account_for(client_id: str | None) -> OnenceAccount:
    """The account with this client id (None: the default account); it must exist."""
    if client_id is None or client_id == settings.ONENCE_CLIENT_ID:
        return default_account()
    return OnenceAccount.objects.get(client_id=client_id)


def register(*, client_id: str, client_secret: str) -> OnenceAccount:
    account, _ = OnenceAccount.objects.update_or_create(
        client_id=client_id, defaults={"client_secret": client_secret}
    )
    return account


def check_credentials(client_id: str, client_secret: str) -> OnenceAccount | None:
    """The account these credentials open, or None.

    The settings' default credentials always open the default account, whatever secret an
    operator has since stored for it.
    """
    if client_id == settings.ONENCE_CLIENT_ID and settings.ONENCE_CLIENT_ID:
        account = default_account()
        if hmac.compare_digest(settings.ONENCE_CLIENT_SECRET, client_secret):
            return account
    else:
        account = OnenceAccount.objects.filter(client_id=client_id).first()
    if account and hmac.compare_digest(account.client_secret, client_secret):
        return account
    return None


def issue_token(account: OnenceAccount, ttl_seconds: int) -> OnenceToken:
    """A new token; earlier ones stay valid until they expire (1NCE's behaviour)."""
    issued = clock.now()
    OnenceToken.objects.filter(account=account, expires_at__lt=issued).delete()
    return OnenceToken.objects.create(
        key=secrets.token_urlsafe(32),
        account=account,
        issued_at=issued,
        expires_at=issued + timedelta(seconds=ttl_seconds),
    )


def account_for_bearer(header: str) -> OnenceAccount | None:
    """The account of a valid ``Bearer`` token, or None when missing, unknown or expired."""
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        return None
    token = (
        OnenceToken.objects.select_related("account")
        .filter(key=key.strip(), expires_at__gt=clock.now())
        .first()
    )
    return token.account if token else None
