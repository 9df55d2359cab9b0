"""The token endpoint, bearer checks and account isolation."""

import pytest
from django.conf import settings

from simulators.onence import testing
from simulators.tests.conftest import BASE, OnenceApi, basic

pytestmark = pytest.mark.django_db
TOKEN_URL = f"{BASE}/oauth/token"
GRANT = {"grant_type": "client_credentials"}


def post_token(client, body=GRANT, content_type="application/json", auth=None):
    auth = auth or basic(settings.ONENCE_CLIENT_ID, settings.ONENCE_CLIENT_SECRET)
    return client.post(TOKEN_URL, body, content_type, HTTP_AUTHORIZATION=auth)


def test_token_answers_bearer_with_an_hour_of_validity(client):
    body = post_token(client).json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == "all"
    assert body["access_token"]


@pytest.mark.parametrize(
    ("kwargs", "code", "message"),
    [
        ({"content_type": "application/x-www-form-urlencoded"}, "UnsupportedContentTypeError", ""),
        ({"auth": "Bearer nope"}, "AuthValidationError", "'username'"),
        ({"auth": basic("fleetops-demo-client", "")}, "AuthValidationError", "'password'"),
        ({"body": {}}, "BodyValidationError", "'grant_type'"),
        ({"body": {"grant_type": "password"}}, "BodyValidationError", "grant_type"),
        ({"auth": basic("nobody", "secret")}, "CognitoAuthenticationError", "does not exist"),
    ],
)
def test_token_errors_use_the_contract_400_body(client, kwargs, code, message):
    response = post_token(client, **kwargs)
    assert response.status_code == 400
    body = response.json()
    assert body["statusCode"] == 400
    assert body["errorCode"] == code
    assert message in body["message"]


def test_wrong_secret_is_refused(client):
    post_token(client)  # creates the default account
    response = post_token(client, auth=basic(settings.ONENCE_CLIENT_ID, "wrong"))
    assert response.json()["message"] == "Incorrect username or password."


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer unknown", "Basic abc"])
def test_api_needs_a_valid_bearer_token(client, header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.get(f"{BASE}/v2/sims", **extra)
    assert response.status_code == 401
    assert response.json()["message"] == "Unauthorized"


def test_token_expires_after_its_lifetime(onence, fleet):
    assert onence.get("/v2/sims").status_code == 200
    testing.advance_time(seconds=3601)
    assert onence.get("/v2/sims").status_code == 401


def test_earlier_tokens_stay_valid_after_a_new_one(onence, fleet):
    first = onence.token
    onence.reauthenticate()
    onence.token, second = first, onence.token
    assert first != second
    assert onence.get("/v2/sims").status_code == 200


def test_accounts_see_only_their_own_sims(client, onence, fleet):
    testing.register_account(client_id="other", client_secret="other-secret")
    theirs = testing.seed_fleet(sims=2, client_id="other")
    other = OnenceApi(client, "other", "other-secret")
    listed = [sim["iccid"] for sim in other.get("/v2/sims").json()]
    assert listed == theirs
    assert other.get(f"/v2/sims/{fleet[0]}").status_code == 404
    assert onence.get(f"/v2/sims/{theirs[0]}").status_code == 404
    assert other.post(f"/v2/sims/{fleet[0]}/topup").status_code == 404
