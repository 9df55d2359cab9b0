"""Token bookkeeping that needs no upstream: refresh timing and the secret-free cache key."""

import pytest

from upstream.onence.auth import account_key, refresh_delay
from upstream.onence.models import OnenceCredentials


@pytest.mark.parametrize(
    ("expires_in", "margin", "expected"),
    [(3600, 600, 3000), (600, 600, 300), (60, 600, 30), (3600, 0, 3600)],
)
def test_refresh_comes_margin_before_expiry_or_at_half_life(expires_in, margin, expected):
    assert refresh_delay(expires_in, margin) == expected


def test_account_key_names_the_account_without_the_secret():
    one = OnenceCredentials("https://api.1nce.com/management-api", "client", "secret-1")
    same_account = OnenceCredentials("https://api.1nce.com/management-api/", "client", "secret-2")
    other = OnenceCredentials("https://api.1nce.com/management-api", "client-2", "secret-1")
    assert account_key(one) == account_key(same_account)
    assert account_key(one) != account_key(other)
    assert "secret" not in account_key(one)
    assert "secret-1" not in repr(one)
