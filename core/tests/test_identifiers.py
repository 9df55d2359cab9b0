"""One ICCID rule (``upstream.onence.formats``), answered by the API as 400 INVALID_ICCID."""

import pytest

from core import identifiers
from core.exceptions import InvalidIccid
from upstream.onence import formats

ICCID_19 = "8988228066612345678"


def test_core_uses_the_one_iccid_rule():
    assert identifiers.luhn_check_digit is formats.luhn_check_digit
    assert identifiers.iccid_with_luhn is formats.iccid_with_luhn


@pytest.mark.parametrize("value", [ICCID_19, f" {ICCID_19} ", formats.iccid_with_luhn(ICCID_19)])
def test_valid_iccids_normalise_to_19_digits(value):
    assert identifiers.normalize_iccid(value) == ICCID_19


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "Must be 19-20 digits"),
        (None, "Must be 19-20 digits"),
        ("89882280666123456", "Must be 19-20 digits"),
        ("".join(chr(0xFF10 + int(d)) for d in ICCID_19), "Must be 19-20 digits"),  # fullwidth
        (ICCID_19 + str((int(formats.iccid_with_luhn(ICCID_19)[-1]) + 1) % 10), "Luhn"),
    ],
)
def test_invalid_iccids_answer_400_with_the_reason(value, reason):
    with pytest.raises(InvalidIccid) as error:
        identifiers.normalize_iccid(value)

    assert error.value.details["field"] == "iccid"
    assert error.value.details["reason"].startswith(reason)
