import pytest
from cryptography.fernet import Fernet

from core.crypto import DecryptionError, decrypt, derive_key, encrypt


def test_round_trip_and_ciphertext_hides_the_plaintext():
    token = encrypt("client-secret-42")
    assert "client-secret-42" not in token
    assert decrypt(token) == "client-secret-42"


def test_encryption_is_randomised():
    assert encrypt("same") != encrypt("same")


def test_key_derived_from_secret_key_is_a_valid_stable_fernet_key():
    key = derive_key("some secret key")
    assert key == derive_key("some secret key")
    assert key != derive_key("another secret key")
    Fernet(key)  # raises if not 32 url-safe base64 bytes


def test_explicit_key_is_used_and_old_derived_values_still_decrypt(settings):
    settings.FIELD_ENCRYPTION_KEY = ""
    before = encrypt("made with the derived key")
    settings.FIELD_ENCRYPTION_KEY = Fernet.generate_key().decode()
    after = encrypt("made with the explicit key")
    assert decrypt(before) == "made with the derived key"
    assert Fernet(settings.FIELD_ENCRYPTION_KEY.encode()).decrypt(after.encode())


def test_keys_rotate_first_encrypts_all_decrypt(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEY = old
    token = encrypt("rotated")
    settings.FIELD_ENCRYPTION_KEY = f"{new},{old}"
    assert decrypt(token) == "rotated"
    assert Fernet(new.encode()).decrypt(encrypt("fresh").encode()) == b"fresh"


def test_wrong_key_raises_a_clear_error(settings):
    settings.FIELD_ENCRYPTION_KEY = Fernet.generate_key().decode()
    token = encrypt("secret")
    settings.FIELD_ENCRYPTION_KEY = Fernet.generate_key().decode()
    settings.SECRET_KEY = "a different secret key"
    with pytest.raises(DecryptionError) as caught:
        decrypt(token)
    assert "secret" not in str(caught.value).replace("decrypt", "")
