"""Identifiers that look like 1NCE's (ICCID, IMSI, MSISDN, IMEI, IP) and a stable hash."""

ICCID_PREFIX = "89883030"  # 89 telecom, 883 international, 030 (1NCE's issuer range)
IMSI_PREFIX = "901405"
IMSI_2_PREFIX = "901439"  # the China+ IMSI
MSISDN_PREFIX = "882285"
IMEI_TAC = "86995103"

_MASK = (1 << 64) - 1


def luhn_digit(digits: str) -> str:
    """The Luhn check digit for ``digits``."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def iccid(serial: int) -> str:
    """The 19-digit ICCID for a serial number (unique per serial)."""
    return f"{ICCID_PREFIX}{serial:011d}"


def identity(serial: int) -> dict:
    """Every identifier of the SIM with this serial number."""
    base = iccid(serial)
    imei_body = f"{IMEI_TAC}{serial % 1_000_000:06d}"
    return {
        "iccid": base,
        "iccid_with_luhn": base + luhn_digit(base),
        "imsi": f"{IMSI_PREFIX}{serial:09d}",
        "imsi_2": f"{IMSI_2_PREFIX}{serial:09d}",
        "msisdn": f"{MSISDN_PREFIX}{serial:09d}",
        "imei": imei_body + luhn_digit(imei_body),
        "ip_address": f"10.{(serial >> 16) & 255}.{(serial >> 8) & 255}.{serial & 255}",
    }


def serial_of(iccid_value: str) -> int:
    return int(iccid_value[len(ICCID_PREFIX) :])


def mix64(value: int) -> int:
    """SplitMix64's finaliser: a fast, well-spread 64-bit hash of an integer."""
    value = (value + 0x9E3779B97F4A7C15) & _MASK
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK
    return value ^ (value >> 31)
