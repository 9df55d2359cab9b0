"""Identifier validation, done before anything else touches the request (DESIGN.md).

The ICCID rule itself is written once, in ``upstream.onence.formats`` (the lowest layer:
``upstream`` imports no app, so both it and the apps can use it); here it answers the API's
400 ``INVALID_ICCID``.
"""

from core.errors import InvalidIccid
from upstream.onence.formats import (
    IccidCheckDigitError,
    InvalidIccidError,
    iccid_with_luhn,
    luhn_check_digit,
    normalise_iccid,
)

__all__ = ["ICCID_PATTERN", "iccid_with_luhn", "luhn_check_digit", "normalize_iccid"]

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


def normalize_iccid(value: str | None) -> str:
    """The canonical 19-digit ICCID for a 19-digit or a 20-digit (with Luhn digit) one.

    Raises ``InvalidIccid`` (400) for anything else, or a 20-digit form whose check digit is
    wrong.
    """
    try:
        return normalise_iccid(value or "")
    except IccidCheckDigitError:
        reason = "Luhn check digit does not match"
    except InvalidIccidError:
        reason = "Must be 19-20 digits"
    raise InvalidIccid(
        "The provided ICCID is invalid.", details={"field": "iccid", "reason": reason}
    )
