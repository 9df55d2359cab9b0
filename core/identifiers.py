"""Identifier validation, done before anything else touches the request (DESIGN.md)."""

from core.exceptions import InvalidIccid

# What ``normalize_iccid`` accepts, as the OpenAPI schema documents it (a 20-digit ICCID must
# also carry the right Luhn digit, which a pattern cannot say).
ICCID_PATTERN = r"^[0-9]{19,20}$"

# The fixed paths right under /sims/ (sims' limits and sync-all, quotas' topup and auto-topup).
# As the last segment they are never an ICCID, so no /sims/{iccid} route can swallow them,
# whatever order config/urls.py includes the apps in. Any other segment is taken as an ICCID,
# so a malformed one reaches normalize_iccid and answers 400 INVALID_ICCID, not 404.
SIMS_FIXED_PATHS = ("limits", "sync-all", "topup", "auto-topup")
ICCID_SEGMENT = rf"(?!(?:{'|'.join(SIMS_FIXED_PATHS)})/?$)[^/]+"
ICCID_PATH = rf"(?P<iccid>{ICCID_SEGMENT})"  # for re_path routes under sims/


def luhn_check_digit(digits: str) -> str:
    """The Luhn digit that completes ``digits``."""
    total = 0
    for i, char in enumerate(reversed(digits)):
        value = int(char)
        if i % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def normalize_iccid(value: str) -> str:
    """The canonical 19-digit ICCID for a 19-digit or a 20-digit (with Luhn digit) one.

    Raises ``InvalidIccid`` (400) for anything else, or a 20-digit form whose check digit is
    wrong.
    """
    value = (value or "").strip()
    if not value.isdigit() or len(value) not in (19, 20) or not value.isascii():
        raise InvalidIccid(
            "The provided ICCID is invalid.",
            details={"field": "iccid", "reason": "Must be 19-20 digits"},
        )
    if len(value) == 20:
        if luhn_check_digit(value[:19]) != value[19]:
            raise InvalidIccid(
                "The provided ICCID is invalid.",
                details={"field": "iccid", "reason": "Luhn check digit does not match"},
            )
        return value[:19]
    return value


def iccid_with_luhn(iccid: str) -> str:
    return iccid + luhn_check_digit(iccid)
