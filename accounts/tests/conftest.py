import pytest
from rest_framework.test import APIClient

from accounts.tests.factories import DEFAULT_PASSWORD


@pytest.fixture
def login():
    """``login(user_or_identifier)`` posts to /api/v1/auth/login and returns the response."""

    def do(identifier, password=DEFAULT_PASSWORD, client=None, **extra):
        identifier = getattr(identifier, "username", identifier)
        return (client or APIClient()).post(
            "/api/v1/auth/login", {"username": identifier, "password": password}, **extra
        )

    return do


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client
