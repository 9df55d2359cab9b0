"""GSM 03.38 7-bit and UCS-2 message lengths: what fits in one SMS."""

# The GSM 03.38 basic character set (without the escape character 0x1B).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table: each costs two septets (escape + character).
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

GSM7_MAX_SEPTETS = 160
UCS2_MAX_UNITS = 70


def gsm7_invalid_characters(text: str) -> list[str]:
    """Characters of ``text`` outside the GSM 7-bit alphabet, in order, each once."""
    return list(dict.fromkeys(c for c in text if c not in GSM7_BASIC and c not in GSM7_EXTENSION))


def gsm7_septets(text: str) -> int:
    return sum(2 if c in GSM7_EXTENSION else 1 for c in text)


def ucs2_units(text: str) -> int:
    """UTF-16 code units: a character outside the BMP (most emoji) takes two."""
    return len(text.encode("utf-16-le")) // 2
