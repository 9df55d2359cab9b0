"""Users' Stellar wallets: register an own key or keep a custodial one; fund; read balances.

A custodial wallet's secret is generated here, stored encrypted (``core.crypto``) and never
returned, logged or audited: seed 004's rule that private keys never leave through the API.
"""

import structlog
from django.conf import settings
from django.db import IntegrityError, transaction
from stellar_sdk import Keypair

from accounts.audit import record_audit
from core.context import Context
from core.errors import BadRequest, Conflict, InvalidInput, NotFound
from payments.models import Wallet
from payments.services.accounts import payment_asset, stellar_client
from upstream.exceptions import UpstreamError, UpstreamNotFound
from upstream.stellar import Signer
from upstream.stellar.formats import is_account_id

logger = structlog.get_logger(__name__)

ACTIVATION_MESSAGE = "Wallet created. Please fund with at least 1 XLM to activate."


class InvalidAddress(BadRequest):
    code = "INVALID_STELLAR_ADDRESS"
    default_message = "Not a Stellar public key (a G... StrKey of 56 characters)."


def require_address(address: str) -> str:
    """``address`` when it is a valid Stellar public key; 400 ``INVALID_STELLAR_ADDRESS``."""
    if not is_account_id(address):
        raise InvalidAddress(details={"address": address[:64]})
    return address


def create_wallet(*, user, public_key: str = "", context: Context) -> Wallet:
    """The user's wallet: ``public_key`` registered as theirs, or (empty) a new custodial key
    pair. One wallet per user (409 otherwise). ``funded`` is read from Horizon when it
    answers (the wallet is created either way)."""
    if public_key and not is_account_id(public_key):
        raise InvalidInput({"public_key": "Not a Stellar public key (G..., 56 characters)."})
    if user.organization_id is None:
        raise InvalidInput({"user_id": "The user belongs to no organization."})
    secret = ""
    if not public_key:
        keypair = Keypair.random()
        public_key, secret = keypair.public_key, keypair.secret
    try:
        with transaction.atomic():
            wallet = Wallet.objects.create(
                organization_id=user.organization_id,
                user=user,
                public_key=public_key,
                custodial=bool(secret),
                secret=secret,
            )
    except IntegrityError:
        raise Conflict(
            "This user already has a wallet, or the key is registered to another user.",
            details={"user_id": user.pk},
        ) from None
    refresh_funded(wallet)
    record_audit(
        operation="wallet.create",
        resource_type="wallet",
        resource_id=str(wallet.pk),
        user=context.actor,
        organization=wallet.organization,
        request_body={"user_id": user.pk, "public_key": public_key, "custodial": bool(secret)},
    )  # context: address and user agent are not passed until record_audit takes a context
    return wallet


def refresh_funded(wallet: Wallet) -> Wallet:
    """Set ``funded`` from Horizon (the account exists on the ledger); best effort: an
    unreachable Horizon leaves it as it was."""
    try:
        stellar_client().get_account(wallet.public_key)
        funded = True
    except UpstreamNotFound:
        funded = False
    except UpstreamError as exc:
        logger.warning("wallet_funded_unknown", wallet=wallet.pk, error=str(exc))
        return wallet
    if funded != wallet.funded:
        wallet.funded = funded
        wallet.save(update_fields=["funded", "updated_at"])
    return wallet


def fund_wallet(*, wallet: Wallet, context: Context) -> Wallet:
    """Fund the wallet through the network's friendbot (testnet, the simulator); a custodial
    wallet then trusts the payment asset, so it can receive payouts."""
    client = stellar_client()
    try:
        client.get_account(wallet.public_key)
    except UpstreamNotFound:
        client.fund_with_friendbot(wallet.public_key)
    asset = payment_asset()
    needs_trustline = wallet.custodial and not asset.is_native
    if needs_trustline and not client.get_account(wallet.public_key).trusts(asset):
        envelope = client.build_trustline(
            signer=Signer(wallet.secret),
            asset=asset,
            timeout_seconds=settings.STELLAR_TX_TIMEOUT_SECONDS,
        )
        client.submit(envelope)
    wallet.funded = True
    wallet.save(update_fields=["funded", "updated_at"])
    record_audit(
        operation="wallet.fund",
        resource_type="wallet",
        resource_id=str(wallet.pk),
        user=context.actor,
        organization=wallet.organization,
    )  # context
    return wallet


def wallet_balance(*, address: str) -> dict:
    """Balances of ``address`` per asset in seed 004's shape; 400 for a malformed address,
    404 for an account that does not exist on the ledger (unfunded)."""
    require_address(address)
    try:
        account = stellar_client().get_account(address)
    except UpstreamNotFound:
        raise NotFound(
            "No such account on the Stellar network: it was never funded.",
            details={"address": address, "funded": False},
        ) from None
    balances = {}
    for line in account.balances:
        entry = {"balance": f"{line.balance:.7f}", "asset_type": line.asset_type}
        if line.asset_type != "native":
            entry.update(asset_code=line.asset_code, asset_issuer=line.asset_issuer)
        balances[line.asset_code] = entry
    return {"address": account.account_id, "balances": balances}
