import re

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from accounts.models import Role


@pytest.mark.django_db
def test_schema_validates_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert "openapi: 3" in out.read_text()


@pytest.mark.parametrize("path", ["/api/schema/", "/openapi.json"])
def test_schema_is_served(client, path):
    response = client.get(path, HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "FleetOps API"
    assert "ErrorEnvelope" in schema["components"]["schemas"]


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_docs_use_local_assets(client, path):
    response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(source.startswith("/") for source in sources), sources
    assert "cdn.jsdelivr.net" not in html


@pytest.fixture(scope="module")
def openapi(django_db_setup, django_db_blocker):
    """The served schema, as a client reads it."""
    from drf_spectacular.generators import SchemaGenerator

    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


def response_schema(openapi: dict, method: str, path: str, status: str) -> dict:
    """The documented JSON body of ``status``, with the components its ``$ref``s point to."""
    body = openapi["paths"][path][method]["responses"][status]["content"]["application/json"]
    return {**body["schema"], "components": openapi["components"]}


def assert_matches_schema(body, schema: dict) -> None:
    from openapi_schema_validator import OAS30Validator

    errors = [e.message for e in OAS30Validator(schema).iter_errors(body)]
    assert not errors, errors


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "url"),
    [
        ("/api/v1/sims", "/api/v1/sims"),
        ("/api/v1/jobs", "/api/v1/jobs"),
        ("/api/v1/auth/api-keys", "/api/v1/auth/api-keys"),
        ("/api/v1/audit", "/api/v1/audit?limit=5&offset=0"),
        ("/api/v1/organizations", "/api/v1/organizations"),
        ("/api/v1/sims/{iccid}/sms", "/api/v1/sims/{iccid}/sms"),
    ],
)
def test_paginated_lists_answer_what_the_schema_documents(openapi, path, url, make_user):
    """``data`` is the item array and ``pagination`` sits beside it (not a second envelope)."""
    from accounts import services as accounts_services
    from core.tests.factories import JobFactory
    from sims.tests.factories import SimFactory
    from sms.models import SmsMessage

    user = make_user(role=Role.ADMIN)
    sim = SimFactory(organization=user.organization)
    SmsMessage.objects.create(
        organization=user.organization, sim=sim, direction="MT", message="hello"
    )
    JobFactory(organization=user.organization, created_by=user)
    accounts_services.issue_api_key(user=user, name="schema", expires_at=None, read_only=False)
    client = APIClient()
    client.force_authenticate(user)

    response = client.get(url.format(iccid=sim.iccid))

    assert response.status_code == 200, response.content
    body = response.json()
    assert isinstance(body["data"], list) and body["data"], body
    assert_matches_schema(body, response_schema(openapi, "get", path, "200"))
    items = openapi["components"]["schemas"][
        response_schema(openapi, "get", path, "200")["$ref"].rsplit("/", 1)[1]
    ]["properties"]["data"]
    assert items["type"] == "array"


@pytest.mark.django_db
def test_every_operation_documents_its_error_statuses(openapi):
    """Derived from the view: auth → 401 and 429, writes → 403 and 422, path ids → 404,
    upstream calls → 502/503/504, all in the error envelope; no catch-all ``default``."""
    operations = {
        (method, path): operation
        for path, item in openapi["paths"].items()
        for method, operation in item.items()
    }
    for (method, path), operation in operations.items():
        responses = operation["responses"]
        assert "default" not in responses, (method, path)
        for status, response in responses.items():
            if status.startswith(("4", "5")):
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorEnvelope"}, (method, path)

    iccid = next(
        p for p in operations[("get", "/api/v1/sims/{iccid}")]["parameters"] if p["name"] == "iccid"
    )
    assert iccid["schema"]["pattern"] == "^[0-9]{19,20}$"

    def documented(method, path):
        return {int(s) for s in operations[(method, path)]["responses"] if s[0] in "45"}

    assert documented("get", "/api/v1/sims") == {401, 406, 422, 429}
    assert documented("get", "/api/v1/auth/me") == {401, 406, 429}
    assert documented("patch", "/api/v1/sims/{iccid}") >= {
        400, 401, 403, 404, 409, 415, 422, 429, 502, 503, 504,
    }  # fmt: skip
    assert documented("get", "/api/v1/products") >= {409, 502, 503, 504}
    assert {502, 503, 504}.isdisjoint(documented("get", "/api/v1/sims/{iccid}/status"))
    assert documented("post", "/api/v1/auth/login") == {400, 401, 406, 413, 415, 422, 429}


@pytest.mark.django_db(transaction=True)
def test_no_sim_configured_is_the_handlers_422(onence_simulator, operator_client, openapi):
    """The 422 of ``POST /api/v1/sims`` when every SIM failed comes from the one exception
    handler: the error envelope with ``error.timestamp``."""
    response = operator_client.post(
        "/api/v1/sims", {"sims": [{"iccid": "8988228000999999999", "label": "x"}]}, format="json"
    )

    assert response.status_code == 422, response.content
    body = response.json()
    assert body["error"]["code"] == "VALIDATION_ERROR"
    assert body["error"]["timestamp"]
    assert body["error"]["details"]["failed"] == 1
    assert_matches_schema(body, response_schema(openapi, "post", "/api/v1/sims", "422"))


def test_openapi_json_is_json(client):
    """``/openapi.json`` answers JSON whatever the client accepts (tools go by the name)."""
    response = client.get("/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    assert response.json()["openapi"].startswith("3.")
