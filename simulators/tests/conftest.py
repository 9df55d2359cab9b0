"""Fixtures for the 1NCE simulator's tests: an authorised in-process client and a fleet."""

import base64
from urllib.parse import urlencode

import pytest
from django.conf import settings

from simulators.onence import testing

BASE = "/sim/1nce/management-api"


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


class OnenceApi:
    """Calls the simulator through Django's test client with a bearer token."""

    def __init__(self, client, client_id: str, secret: str):
        self.client = client
        self.credentials = (client_id, secret)
        self.token = self.get_token(client_id, secret)

    def reauthenticate(self) -> None:
        """A fresh token (after the simulated clock has moved past the old one's expiry)."""
        self.token = self.get_token(*self.credentials)

    def get_token(self, client_id: str, secret: str) -> str:
        response = self.client.post(
            f"{BASE}/oauth/token",
            {"grant_type": "client_credentials"},
            content_type="application/json",
            HTTP_AUTHORIZATION=basic(client_id, secret),
        )
        assert response.status_code == 200, response.content
        return response.json()["access_token"]

    def call(self, method: str, path: str, body=None, **params):
        kwargs = {"HTTP_AUTHORIZATION": f"Bearer {self.token}"}
        if body is not None:
            kwargs.update(data=body, content_type="application/json")
        url = f"{BASE}{path}" + (f"?{urlencode(params)}" if params else "")
        return getattr(self.client, method.lower())(url, **kwargs)

    def get(self, path, **params):
        return self.call("GET", path, **params)

    def post(self, path, body=None, **params):
        return self.call("POST", path, body, **params)

    def put(self, path, body=None, **params):
        return self.call("PUT", path, body, **params)

    def delete(self, path, **params):
        return self.call("DELETE", path, **params)


@pytest.fixture
def onence(db, client):
    """A client of the default account; the /sims rate limit is off unless a test sets faults."""
    testing.set_faults(enforce_rate_limit=False)
    return OnenceApi(client, settings.ONENCE_CLIENT_ID, settings.ONENCE_CLIENT_SECRET)


@pytest.fixture
def fleet(onence) -> list[str]:
    return testing.seed_fleet(sims=3, days=10)
