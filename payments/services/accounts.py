"""Which Stellar keys an organization signs with, and the one Stellar client.

``STELLAR_ACCOUNTS`` is ``core.upstream_accounts``' rule declared for Stellar: the
organization's own active ``StellarAccount``, or the default keys from settings when it is the
organization named by ``STELLAR_DEFAULT_ORGANIZATION``. Any other organization gets
``UpstreamNotConnected`` (409 ``UPSTREAM_NOT_CONFIGURED``) and no key is ever lent to it.
"""

import threading
from dataclasses import dataclass, field

from django.conf import settings

from core.errors import Conflict
from core.upstream_accounts import UpstreamAccounts
from payments.models import SourceRole, StellarAccount
from upstream.stellar import Signer, StellarAsset, StellarClient, StellarNetwork


@dataclass(frozen=True)
class StellarKeys:
    """An organization's signing keys; ``repr`` shows public keys only."""

    pool: Signer
    operator: Signer | None = field(default=None)

    def signer(self, role: str) -> Signer:
        if role == SourceRole.POOL:
            return self.pool
        if self.operator is None:
            raise Conflict(
                "This organization's Stellar account has no operator key; penalties cannot be "
                "paid from it.",
                details={"upstream": "stellar", "missing": "operator_key"},
            )
        return self.operator


def _own_keys(organization) -> StellarKeys | None:
    account = StellarAccount.objects.filter(organization=organization, is_active=True).first()
    if account is None:
        return None
    operator = Signer(account.operator_secret) if account.operator_secret else None
    return StellarKeys(pool=Signer(account.pool_secret), operator=operator)


def _default_keys() -> StellarKeys | None:
    if not settings.STELLAR_POOL_SECRET:
        return None
    operator = settings.STELLAR_OPERATOR_SECRET
    return StellarKeys(
        pool=Signer(settings.STELLAR_POOL_SECRET), operator=Signer(operator) if operator else None
    )


def _own_account_owners():
    return StellarAccount.objects.filter(is_active=True).values_list("organization_id", flat=True)


STELLAR_ACCOUNTS: UpstreamAccounts[StellarKeys] = UpstreamAccounts(
    name="Stellar",
    key="stellar",
    own_credentials=_own_keys,
    default_credentials=_default_keys,
    default_owner_setting="STELLAR_DEFAULT_ORGANIZATION",
    own_account_owners=_own_account_owners,
    connect_hint="An administrator connects one in the admin console under Stellar accounts.",
)


def stellar_keys_for(*, organization) -> StellarKeys:
    """The keys the organization signs with; ``UpstreamNotConnected`` when it has none."""
    return STELLAR_ACCOUNTS.credentials_for(organization=organization)


_CLIENT: dict[StellarNetwork, StellarClient] = {}
_CLIENT_LOCK = threading.Lock()


def stellar_client() -> StellarClient:
    """The client for the configured network (one pooled session per process)."""
    network = StellarNetwork.from_settings()
    with _CLIENT_LOCK:
        client = _CLIENT.get(network)
        if client is None:
            for stale in _CLIENT.values():
                stale.close()
            _CLIENT.clear()
            client = _CLIENT[network] = StellarClient(network)
        return client


def close_clients() -> None:
    """Close the pooled Stellar client (tests: no keep-alive connection outlives the server)."""
    with _CLIENT_LOCK:
        for client in _CLIENT.values():
            client.close()
        _CLIENT.clear()


def payment_asset() -> StellarAsset:
    """The asset payouts are paid in (``STELLAR_PAYMENT_ASSET``): USDC, XLM or the custom one."""
    code = settings.STELLAR_PAYMENT_ASSET
    if code == "XLM":
        return StellarAsset("XLM")
    if code == "USDC":
        return StellarAsset("USDC", settings.STELLAR_USDC_ISSUER)
    if code == settings.STELLAR_CUSTOM_ASSET_CODE and settings.STELLAR_CUSTOM_ASSET_ISSUER:
        return StellarAsset(code, settings.STELLAR_CUSTOM_ASSET_ISSUER)
    raise Conflict(
        f"STELLAR_PAYMENT_ASSET {code!r} is neither USDC, XLM nor the configured custom asset.",
        details={"setting": "STELLAR_PAYMENT_ASSET"},
    )
