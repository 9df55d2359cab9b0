"""A small Python API over the Horizon simulator for tests, the demo and the command.

Keyword-only and stable: the Stellar client's and the payments app's tests import these names.
"""

from decimal import Decimal

from django.conf import settings
from django.db import transaction
from stellar_sdk import Keypair

from simulators.horizon import ledger
from simulators.horizon.models import (
    HorizonAccount,
    HorizonBalance,
    HorizonFault,
    HorizonRequestLog,
    HorizonTransaction,
)
from simulators.horizon.views import ensure_account

DEMO_START_XLM = Decimal("10000")
DEMO_START_USDC = Decimal("1000000")


def create_account(
    account_id: str, *, xlm: Decimal | str = "100", assets: dict | None = None
) -> None:
    """Create (or top up) an account with ``xlm`` and a trustline with a balance for each
    ``{(code, issuer): amount}`` in ``assets`` (amount 0: a trustline and no funds)."""
    with transaction.atomic():
        account = ensure_account(account_id, xlm=Decimal(xlm))
        HorizonBalance.objects.filter(account=account, asset_code="XLM", asset_issuer="").update(
            balance=Decimal(xlm)
        )
        for (code, issuer), value in (assets or {}).items():
            HorizonBalance.objects.update_or_create(
                account=account,
                asset_code=code,
                asset_issuer=issuer,
                defaults={"balance": Decimal(value)},
            )


def seed_demo() -> dict:
    """The demo network: the USDC issuer, and the default pool and operator accounts (from
    settings' keys) with XLM and USDC. Returns their public keys. Safe to run again."""
    usdc = ("USDC", settings.STELLAR_USDC_ISSUER)
    create_account(settings.STELLAR_USDC_ISSUER, xlm="1000")
    keys = {}
    for name, setting in (("pool", "STELLAR_POOL_SECRET"), ("operator", "STELLAR_OPERATOR_SECRET")):
        secret = getattr(settings, setting, "")
        if not secret:
            continue
        public = Keypair.from_secret(secret).public_key
        if not HorizonAccount.objects.filter(account_id=public).exists():
            create_account(public, xlm=DEMO_START_XLM, assets={usdc: DEMO_START_USDC})
        keys[name] = public
    if settings.STELLAR_CUSTOM_ASSET_CODE and settings.STELLAR_CUSTOM_ASSET_ISSUER:
        create_account(settings.STELLAR_CUSTOM_ASSET_ISSUER, xlm="1000")
    return keys


def balance(account_id: str, code: str = "XLM", issuer: str = "") -> Decimal | None:
    """An account's balance of an asset (None: no such account or trustline)."""
    row = HorizonBalance.objects.filter(
        account__account_id=account_id, asset_code=code, asset_issuer=issuer
    ).first()
    return row.balance if row else None


def sequence(account_id: str) -> int:
    return HorizonAccount.objects.get(account_id=account_id).sequence


def ledger_transactions(
    *, account_id: str | None = None, successful: bool | None = None
) -> list[dict]:
    """The transactions in the simulated ledger, oldest first."""
    rows = HorizonTransaction.objects.order_by("pk")
    if account_id:
        rows = rows.filter(accounts__contains=[account_id])
    if successful is not None:
        rows = rows.filter(successful=successful)
    return [
        {
            "hash": row.hash,
            "source_account": row.source_account,
            "successful": row.successful,
            "memo_type": row.memo_type,
            "memo": row.memo,
            "result_codes": row.result_codes,
            "envelope_xdr": row.envelope_xdr,
        }
        for row in rows
    ]


def set_faults(
    *,
    latency_ms: int = 0,
    error_rate: float = 0.0,
    error_status: int = 503,
    hang_seconds: float = 0.0,
    apply_then: str = "",
    paths: str = "",
) -> None:
    """Set the simulator's faults (replacing any). ``apply_then`` "error" applies a submission
    and answers ``error_status``; "hang" applies it and answers only after ``hang_seconds`` (a
    client with a shorter timeout loses the answer of a transaction that is in the ledger).
    Without it, ``hang_seconds`` delays every matching request before it is handled.
    ``paths`` limits the faults to paths containing one of its comma-separated substrings."""
    if apply_then not in ("", "error", "hang"):
        raise ValueError("apply_then must be '', 'error' or 'hang'.")
    with transaction.atomic():
        HorizonFault.objects.all().delete()
        HorizonFault.objects.create(
            latency_ms=latency_ms,
            error_rate=error_rate,
            error_status=error_status,
            hang_seconds=hang_seconds,
            apply_then=apply_then,
            paths=paths,
        )


def clear_faults() -> None:
    HorizonFault.objects.all().delete()


def requests_received(*, path_contains: str = "", method: str | None = None) -> list[dict]:
    """The request log, oldest first: ``method, path, status, fault``."""
    rows = HorizonRequestLog.objects.filter(path__contains=path_contains).order_by("pk")
    if method:
        rows = rows.filter(method=method.upper())
    return [
        {"method": r.method, "path": r.path, "status": r.status, "fault": r.fault} for r in rows
    ]


def reset() -> None:
    """Forget every account, transaction, fault and logged request."""
    with transaction.atomic():
        HorizonTransaction.objects.all().delete()
        HorizonAccount.objects.all().delete()
        HorizonFault.objects.all().delete()
        HorizonRequestLog.objects.all().delete()


__all__ = [
    "balance",
    "clear_faults",
    "create_account",
    "ledger",
    "ledger_transactions",
    "requests_received",
    "reset",
    "seed_demo",
    "sequence",
    "set_faults",
]
