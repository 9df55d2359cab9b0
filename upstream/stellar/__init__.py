"""Stellar (Horizon) client over stellar-sdk: payments, attestations, ledger reads."""

from upstream.stellar.client import StellarClient, StellarNetwork
from upstream.stellar.exceptions import (
    StellarInsufficientBalance,
    StellarNoTrustline,
    StellarTimeout,
    StellarTransactionFailed,
)
from upstream.stellar.models import (
    AccountState,
    Balance,
    LedgerTransaction,
    SignedEnvelope,
    Signer,
    StellarAsset,
)

__all__ = [
    "AccountState",
    "Balance",
    "LedgerTransaction",
    "SignedEnvelope",
    "Signer",
    "StellarAsset",
    "StellarClient",
    "StellarInsufficientBalance",
    "StellarNetwork",
    "StellarNoTrustline",
    "StellarTimeout",
    "StellarTransactionFailed",
]
