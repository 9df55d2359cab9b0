"""Numbers and moments as an operator reads them: "1.2 GB", "3 minutes ago", "12,345".

The console never shows a raw byte count or a bare ISO timestamp; every page formats through
these (also as template filters in ``core/templatetags/console.py``).
"""

from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

_BYTE_UNITS = ["KB", "MB", "GB", "TB", "PB"]


def human_bytes(value) -> str:
    """``524288000`` -> "500 MB" (binary multiples, as 1NCE counts its packages)."""
    if value is None or value == "":
        return "—"
    size = float(value)
    sign = "-" if size < 0 else ""
    size = abs(size)
    if size < 1024:
        return f"{sign}{int(size)} B"
    exponent = 0
    while size >= 1024 and exponent < len(_BYTE_UNITS):
        size /= 1024
        exponent += 1
    unit = _BYTE_UNITS[exponent - 1]
    text = f"{size:.0f}" if size >= 100 or size == int(size) else f"{size:.1f}"
    return f"{sign}{text} {unit}"


def human_count(value) -> str:
    """``12345`` -> "12,345"; None -> "—"."""
    if value is None or value == "":
        return "—"
    return f"{int(value):,}"


def human_counted(count, noun: str, plural: str = "") -> str:
    """``1, "SIM"`` -> "1 SIM", ``12345, "SIM"`` -> "12,345 SIMs" (``plural`` where an "s"
    does not make it)."""
    return f"{human_count(count)} {noun if count == 1 else plural or noun + 's'}"


def human_amount(value, unit: str = "") -> str:
    """``Decimal("1500.0000000"), "USDC"`` -> "1,500.00 USDC": thousands separated, at least
    two decimals, the ledger's further decimals only where they are not zero."""
    if value is None or value == "":
        return "—"
    whole, _, fraction = f"{Decimal(value):,.7f}".partition(".")
    text = f"{whole}.{fraction.rstrip('0').ljust(2, '0')}"
    return f"{text} {unit}" if unit else text


def human_duration(seconds) -> str:
    """``95`` -> "1 minute", ``7200`` -> "2 hours" (the largest whole unit)."""
    if seconds is None:
        return "—"
    seconds = int(abs(seconds))
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute"), (1, "second")):
        if seconds >= size:
            return human_counted(seconds // size, unit)
    return "0 seconds"


def human_ago(moment: datetime | None, *, now: datetime | None = None) -> str:
    """``now - 3 min`` -> "3 minutes ago"; a future moment -> "in 3 minutes"."""
    if moment is None:
        return "never"
    now = now or timezone.now()
    delta = now - moment
    if abs(delta) < timedelta(seconds=45):
        return "just now"
    if delta < timedelta(0):
        return f"in {human_duration(delta.total_seconds())}"
    return f"{human_duration(delta.total_seconds())} ago"


def human_datetime(moment: datetime | None) -> str:
    """A moment in the operator's time zone (the one activated for the request)."""
    if moment is None:
        return "—"
    local = timezone.localtime(moment)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


def percent(part, whole) -> float | None:
    if not whole or part is None:
        return None
    return round(100 * part / whole, 1)
