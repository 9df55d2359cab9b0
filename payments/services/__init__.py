"""Payments' writes and rules: Stellar keys, exactly-once ledger settlement, payments,
attestations, wallets and the SLA settlement the outages app calls."""

from payments.services.accounts import (
    STELLAR_ACCOUNTS,
    payment_asset,
    stellar_client,
    stellar_keys_for,
)
from payments.services.attestations import attest_document, verify_attestation
from payments.services.payments import (
    follow_payments,
    payment_memo,
    request_payment,
    settle_payment,
)
from payments.services.sla import (
    OutageSettlement,
    SlaResult,
    SlaSettlement,
    outage_payout,
    settle_demo_outage,
    settle_outage,
    settle_sla_result,
)
from payments.services.wallets import (
    create_wallet,
    fund_wallet,
    refresh_funded,
    require_address,
    wallet_balance,
)

__all__ = [
    "STELLAR_ACCOUNTS",
    "OutageSettlement",
    "SlaResult",
    "SlaSettlement",
    "attest_document",
    "create_wallet",
    "follow_payments",
    "fund_wallet",
    "outage_payout",
    "payment_asset",
    "payment_memo",
    "refresh_funded",
    "request_payment",
    "require_address",
    "settle_demo_outage",
    "settle_outage",
    "settle_payment",
    "settle_sla_result",
    "stellar_client",
    "stellar_keys_for",
    "verify_attestation",
    "wallet_balance",
]
