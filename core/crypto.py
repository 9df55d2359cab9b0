"""Secrets at rest: Fernet (AES-128-CBC + HMAC-SHA256) with a key from settings.

The key is ``settings.FIELD_ENCRYPTION_KEY`` (a Fernet key; a comma-separated list rotates:
the first encrypts, all decrypt). Without it, a key is derived from ``SECRET_KEY`` with
HKDF-SHA256. The derived key always stays a decryption fallback, so setting
``FIELD_ENCRYPTION_KEY`` later does not strand what was encrypted before.

``EncryptedTextField`` stores a text column encrypted and hands Python the plaintext. The
ciphertext is randomised (Fernet uses a fresh IV), so the column cannot be filtered on.
"""

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import models

_HKDF_INFO = b"fleetops field encryption v1"


class DecryptionError(Exception):
    """The stored value was not encrypted with any configured key (or was tampered with)."""


def derive_key(secret: str) -> bytes:
    """A Fernet key (urlsafe base64 of 32 bytes) derived from ``secret`` with HKDF-SHA256."""
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(
        secret.encode()
    )
    return base64.urlsafe_b64encode(raw)


@lru_cache(maxsize=4)
def _fernet_for(field_keys: str, secret_key: str) -> MultiFernet:
    keys = [key.strip().encode() for key in field_keys.split(",") if key.strip()]
    keys.append(derive_key(secret_key))
    return MultiFernet([Fernet(key) for key in keys])


def fernet() -> MultiFernet:
    """The configured cipher (cached per key material, so settings overrides take effect)."""
    return _fernet_for(settings.FIELD_ENCRYPTION_KEY or "", settings.SECRET_KEY)


def encrypt(plaintext: str) -> str:
    """Encrypt text to a URL-safe token."""
    return fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    """Decrypt a token made by ``encrypt``; raises ``DecryptionError`` on a wrong key."""
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise DecryptionError("Cannot decrypt the value with the configured keys.") from None


class EncryptedTextField(models.TextField):
    """A text field stored encrypted; empty stays empty so ``blank=True`` works as usual."""

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value)
