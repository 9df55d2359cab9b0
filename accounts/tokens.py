"""JSON Web Tokens, minted and read in this one module (with simplejwt, a DRF plugin), so the
services that keep sessions (``accounts.services``) know nothing of the library or of HTTP.

A session is a family of refresh tokens (rotation continues it); its access tokens carry it as
``sid``, so ending the session ends them (``accounts.authentication``).
"""

from dataclasses import dataclass

from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import RefreshToken


class UnreadableToken(Exception):
    """A refresh token whose signature, expiry or type does not hold."""


@dataclass(frozen=True)
class MintedPair:
    access: str
    refresh: str
    refresh_id: str  # the refresh token's ``jti``
    family: str  # the session: the one continued, else this refresh token's id


def mint_pair(user, *, family: str | None = None) -> MintedPair:
    """A new access/refresh pair for ``user``; ``family`` continues a session, None starts one."""
    refresh = RefreshToken.for_user(user)
    refresh["username"] = user.get_username()
    family = family or refresh["jti"]
    access = refresh.access_token
    access["sid"] = family
    return MintedPair(str(access), str(refresh), refresh["jti"], family)


def refresh_token_id(raw: str) -> str:
    """The ``jti`` of a refresh token whose signature, expiry and type hold; else
    :class:`UnreadableToken` (with the library's reason)."""
    try:
        return RefreshToken(raw)["jti"]
    except TokenError as exc:
        raise UnreadableToken(str(exc)) from None
