"""Stellar's formats: amounts (7 decimal places), account ids (StrKey), assets, memo hashes.

Amounts are ``Decimal`` everywhere: the ledger counts stroops (10^-7), so an amount with more
than seven places, or a float, is refused rather than rounded.
"""

import hashlib
import json
from decimal import Decimal, InvalidOperation
from typing import Any

from stellar_sdk import StrKey

AMOUNT_PLACES = 7
STROOP = Decimal("0.0000001")
MAX_AMOUNT = Decimal("922337203685.4775807")  # int64 stroops


def is_account_id(value: Any) -> bool:
    """Whether ``value`` is a Stellar public key (a ``G...`` StrKey with a valid checksum)."""
    return isinstance(value, str) and StrKey.is_valid_ed25519_public_key(value)


def amount(value: Any) -> Decimal:
    """``value`` as a Stellar amount: a positive Decimal with at most seven places.

    Raises ``ValueError`` for floats, more places, zero, negatives or more than the ledger
    can hold."""
    if isinstance(value, float | bool):
        raise ValueError("Amounts must be given as decimal strings or Decimal, not floats.")
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValueError(f"{value!r} is not a number.") from None
    if not number.is_finite():
        raise ValueError(f"{value!r} is not a number.")
    if number != number.quantize(STROOP):
        raise ValueError("Stellar amounts have at most 7 decimal places.")
    if number <= 0 or number > MAX_AMOUNT:
        raise ValueError(f"The amount must be between 0.0000001 and {MAX_AMOUNT}.")
    return number.quantize(STROOP)


def amount_text(value: Decimal) -> str:
    """An amount as Horizon and transactions spell it: seven places, no exponent."""
    return f"{Decimal(value).quantize(STROOP):f}"


def canonical_json(document: Any) -> bytes:
    """The canonical bytes of a JSON document: sorted keys, no spaces, UTF-8, decimals as
    strings. The same document always gives the same bytes (and the same digest)."""
    return json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode()


def memo_digest(document: Any) -> bytes:
    """SHA-256 of the canonical document: the 32 bytes carried as a transaction's memo hash."""
    return hashlib.sha256(canonical_json(document)).digest()
