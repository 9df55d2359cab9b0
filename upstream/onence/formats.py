"""1NCE's units and formats, converted once, at the edge, into ours.

Volumes: 1NCE reports data in megabytes, and its contract defines the megabyte as binary:
"the amount of data traffic in megabytes. 1 megabyte = 1024 kilobytes" (``SimsQuota`` and
``EndpointQuota`` in sim-management-v2.yml), which matches the "500 MB = 524,288,000 bytes"
used across FleetOps. So ``BYTES_PER_MB = 1024 * 1024``, the one constant for every
conversion. Volumes are parsed as ``Decimal`` (never float) and rounded to the nearest byte,
half up, only at the end.

Timestamps: ISO 8601 in most places, ``YYYY-MM-DD HH:MM:SS`` in some (quota dates, location
updates); a timestamp without an offset is UTC.

ICCIDs: 1NCE paths take the 19-digit ICCID; ``iccid_with_luhn`` is the 20-digit form with its
Luhn check digit. We accept both and send the 19-digit form.
"""

from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

BYTES_PER_MB = 1024 * 1024


class InvalidIccidError(ValueError):
    """Not a 19-digit ICCID or a 20-digit one with a valid Luhn check digit."""


class IccidCheckDigitError(InvalidIccidError):
    """A 20-digit ICCID whose last digit is not its Luhn check digit."""


def luhn_check_digit(digits: str) -> int:
    """The Luhn check digit to append to ``digits``."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 0:  # doubled: these are every second digit from the check digit
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return (10 - total % 10) % 10


def normalise_iccid(value: str) -> str:
    """The 19-digit ICCID 1NCE paths use, from a 19- or 20-digit ICCID (Luhn checked).

    The one ICCID rule of FleetOps: ``core.identifiers.normalize_iccid`` answers the API's
    400 with it (it lives here because ``upstream`` imports no app)."""
    iccid = str(value).strip()
    if not iccid.isascii() or not iccid.isdigit() or len(iccid) not in (19, 20):
        raise InvalidIccidError("An ICCID has 19 or 20 digits.")
    if len(iccid) == 20:
        if luhn_check_digit(iccid[:19]) != int(iccid[19]):
            raise IccidCheckDigitError("The ICCID's check digit (Luhn) is wrong.")
        iccid = iccid[:19]
    return iccid


def iccid_with_luhn(iccid: str) -> str:
    """The 20-digit form of a 19-digit ICCID."""
    iccid = normalise_iccid(iccid)
    return f"{iccid}{luhn_check_digit(iccid)}"


def to_decimal(value) -> Decimal | None:
    """A JSON number or decimal string as an exact ``Decimal`` (``None`` when absent)."""
    if value is None or value == "":
        return None
    if isinstance(value, float):
        # Responses are parsed with parse_float=Decimal; a float here would already be inexact.
        value = repr(value)
    try:
        return Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ValueError(f"Not a number: {value!r}") from exc


def mb_to_bytes(value) -> int | None:
    """Megabytes (decimal string or number) to whole bytes, exactly, rounding half up."""
    megabytes = to_decimal(value)
    if megabytes is None:
        return None
    return int((megabytes * BYTES_PER_MB).to_integral_value(rounding=ROUND_HALF_UP))


def bytes_to_mb(value: int) -> Decimal:
    """Whole bytes as megabytes, exact (used when we send volumes to 1NCE)."""
    return Decimal(value) / BYTES_PER_MB


def to_count(value) -> int | None:
    """A count (SMS, quantity) that 1NCE may send as a number or a string."""
    number = to_decimal(value)
    return None if number is None else int(number.to_integral_value(rounding=ROUND_HALF_UP))


def parse_timestamp(value: str | None) -> datetime | None:
    """An aware UTC datetime from ISO 8601 or ``YYYY-MM-DD HH:MM:SS`` (no offset means UTC)."""
    if not value:
        return None
    # Python 3.11's fromisoformat reads "Z", "+0000" and the space-separated form.
    parsed = datetime.fromisoformat(str(value).strip())
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def parse_date(value: str | None) -> date | None:
    """The calendar date of ``2021-06-30`` or ``2021-06-30T00:00:00.000Z``."""
    if not value:
        return None
    text = str(value).strip()
    if len(text) == 10:
        return date.fromisoformat(text)
    return parse_timestamp(text).date()
