"""The several timestamp and volume formats the 1NCE contract uses, in one place."""

from datetime import UTC, date, datetime

# The v2 contract: "1 megabyte = 1024 kilobytes".
BYTES_PER_MB = 1_048_576
# Usage accrues in whole 16 KiB blocks: 16,384 bytes is 0.015625 MB, so every volume the
# simulator counts prints exactly with the contract's six decimal places.
DATA_QUANTUM = 16_384


def quantize(volume_bytes: float) -> int:
    """Whole usage blocks in ``volume_bytes`` (rounded down)."""
    return int(volume_bytes) // DATA_QUANTUM * DATA_QUANTUM


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 with milliseconds and ``Z``: ``2019-09-29T07:33:15.000Z``."""
    if moment is None:
        return None
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def iso_offset(moment: datetime) -> str:
    """ISO 8601 with a numeric offset and no colon: ``2018-03-09T07:59:09.000+0000``."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def legacy(moment: datetime | None) -> str | None:
    """The non-ISO ``YYYY-MM-DD HH:MM:SS`` some 1NCE fields use (quota dates, locations)."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def day(value: date) -> str:
    """A usage record's date: ``2021-06-30T00:00:00.000Z``."""
    return f"{value.isoformat()}T00:00:00.000Z"


def mb_string(volume_bytes: int) -> str:
    """Bytes as the contract's decimal MB string with six places: ``"0.002803"``."""
    sign = "-" if volume_bytes < 0 else ""
    whole, rest = divmod(abs(volume_bytes), BYTES_PER_MB)
    micro = (rest * 2_000_000 + BYTES_PER_MB) // (2 * BYTES_PER_MB)  # half up; exact for blocks
    if micro == 1_000_000:
        whole, micro = whole + 1, 0
    return f"{sign}{whole}.{micro:06d}"


def mb_number(volume_bytes: int) -> float:
    """Bytes as a JSON number of MB (quotas), rounded to six places."""
    return round(volume_bytes / BYTES_PER_MB, 6)
