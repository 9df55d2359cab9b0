from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from upstream.onence.formats import (
    BYTES_PER_MB,
    InvalidIccidError,
    bytes_to_mb,
    iccid_with_luhn,
    luhn_check_digit,
    mb_to_bytes,
    normalise_iccid,
    parse_date,
    parse_timestamp,
)

ICCID_19 = "8988303000123456789"


def test_a_megabyte_is_binary_as_the_contract_defines_it():
    assert BYTES_PER_MB == 1_048_576
    assert mb_to_bytes("500") == 524_288_000


@pytest.mark.parametrize(
    ("megabytes", "expected"),
    [
        ("0.002803", 2939),  # 2939.158528 -> nearest byte
        ("0.001482", 1554),  # 1553.989632
        (Decimal("435.787951"), 456_956_787),  # 456956786.507776
        ("-12.5", -13_107_200),  # remaining quota can be negative
        ("0", 0),
        ("0.000000476837158203125", 1),  # exactly half a byte rounds up
    ],
)
def test_megabytes_convert_to_bytes_exactly(megabytes, expected):
    assert mb_to_bytes(megabytes) == expected


def test_conversion_round_trips_every_byte_count_through_exact_megabytes():
    for volume in (1, 999, 1_048_575, 524_288_000, 7_340_033):
        assert mb_to_bytes(bytes_to_mb(volume)) == volume


def test_missing_volume_stays_missing():
    assert mb_to_bytes(None) is None
    assert mb_to_bytes("") is None


def test_luhn_check_digit_matches_the_reference_example():
    assert luhn_check_digit("7992739871") == 3


def test_iccid_19_digits_is_kept():
    assert normalise_iccid(f" {ICCID_19} ") == ICCID_19


def test_iccid_20_digits_with_valid_luhn_is_shortened():
    assert normalise_iccid(iccid_with_luhn(ICCID_19)) == ICCID_19
    assert iccid_with_luhn(ICCID_19) == ICCID_19 + "4"


@pytest.mark.parametrize(
    "value",
    [ICCID_19 + "0", ICCID_19[:-1], "89883030001234567x9", "8988303000123456789012", "٨" * 19],
)
def test_invalid_iccids_are_refused(value):
    with pytest.raises(InvalidIccidError):
        normalise_iccid(value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2018-03-09T07:59:09.000+0000", datetime(2018, 3, 9, 7, 59, 9, tzinfo=UTC)),
        ("2021-06-30T00:00:00.000Z", datetime(2021, 6, 30, tzinfo=UTC)),
        ("2028-03-14T18:10:29.000+02:00", datetime(2028, 3, 14, 16, 10, 29, tzinfo=UTC)),
        ("2023-08-06 09:59:05", datetime(2023, 8, 6, 9, 59, 5, tzinfo=UTC)),
    ],
)
def test_timestamps_parse_to_aware_utc(text, expected):
    parsed = parse_timestamp(text)
    assert parsed == expected
    assert parsed.utcoffset().total_seconds() == 0


def test_dates_parse_from_both_forms():
    assert parse_date("2021-06-30") == date(2021, 6, 30)
    assert parse_date("2021-06-30T00:00:00.000Z") == date(2021, 6, 30)
    assert parse_timestamp(None) is None
