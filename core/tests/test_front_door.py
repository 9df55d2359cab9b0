"""The front door: the landing page, the API's index, the schema as a client reads it
(/openapi.json always JSON, one path form, a tag per area, a summary and a description per
operation) and the offline docs."""

import re

import pytest
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from accounts.models import Role
from core.views import REDOC_REMOTE_LOGO

# The areas of the API: one tag per app that serves /api (the console's names for them).
AREAS = {
    "Accounts",
    "Core",
    "SIMs",
    "Quotas",
    "SMS",
    "Usage",
    "Provisioning",
    "Sites",
    "Outages",
    "Payments",
    "Alerts & webhooks",
}


@pytest.fixture(scope="module")
def openapi(django_db_blocker):
    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


def operations(openapi: dict):
    for path, item in openapi["paths"].items():
        for method, operation in item.items():
            yield method, path, operation


# --- The landing page ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_landing_page_says_what_fleetops_is_and_links_everything(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "<h1>FleetOps</h1>" in html and "1NCE" in html and "PMNL" in html
    links = set(re.findall(r'href="([^"]+)"', html))
    wanted = ["admin:index", "api-root", "docs", "redoc", "openapi-json", "health-ready"]
    assert {reverse(name) for name in wanted} <= links
    for link in links - {reverse("admin:index")}:  # the console answers its login page
        assert client.get(link).status_code == 200, link
    assert not re.search(r'(src|href)="https?://', html)  # nothing from outside
    assert "style=" not in html and "<style" not in html  # the CSP allows our stylesheet only


@pytest.mark.django_db
def test_admins_view_site_link_is_the_landing_page(admin_client):
    html = admin_client.get("/admin/").content.decode()
    assert re.search(r'<a href="/">View site</a>', html)


# --- The API's index ------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/", "/api/v1"])
def test_api_root_lists_every_resource_in_the_envelope_for_anyone(client, openapi, path):
    response = client.get(path, HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True and body["meta"]["request_id"]
    data = body["data"]
    assert data["documentation"] == {
        "swagger": "http://testserver/docs",
        "redoc": "http://testserver/redoc",
        "openapi": "http://testserver/openapi.json",
    }
    listed = {r["url"].removeprefix("http://testserver"): r for r in data["resources"]}
    # What the schema documents without a path parameter, the index itself aside.
    documented = {
        p: {m.upper() for m in item}
        for p, item in openapi["paths"].items()
        if p.startswith("/api/v1/") and "{" not in p
    }
    assert set(listed) == set(documented)
    for url, resource in listed.items():
        assert set(resource["methods"]) == documented[url], url
        assert resource["name"] == url.removeprefix("/api/v1/")
        assert resource["area"] in AREAS
    assert listed["/api/v1/sims"]["methods"] == ["GET", "POST"]
    assert listed["/api/v1/sims/topup"]["area"] == "Quotas"
    assert list(listed) == sorted(listed)


@pytest.mark.django_db
def test_api_root_links_answer(make_user):
    """Every GET link of the index is served (an admin sees 200 on each)."""
    client = APIClient()
    client.force_authenticate(make_user(role=Role.ADMIN))
    resources = client.get("/api/v1/").json()["data"]["resources"]
    for resource in resources:
        if "GET" in resource["methods"] and resource["area"] != "SIMs":  # SIMs call 1NCE
            response = client.get(resource["url"])
            assert response.status_code == 200, (resource["url"], response.content[:200])


# --- The schema as a client reads it ------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "accept", ["text/html", "application/yaml", "application/vnd.oai.openapi", "*/*"]
)
def test_openapi_json_answers_json_whatever_the_client_accepts(client, accept):
    response = client.get("/openapi.json", HTTP_ACCEPT=accept)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    assert response.json()["info"]["title"] == "FleetOps API"


@pytest.mark.django_db
def test_api_schema_keeps_content_negotiation(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/yaml")
    assert response["Content-Type"].startswith("application/yaml")
    assert response.content.startswith(b"openapi: 3.")


@pytest.mark.django_db
def test_schema_paths_have_one_form_without_trailing_slash(openapi, client):
    paths = list(openapi["paths"])
    assert [p for p in paths if p.endswith("/")] == []
    assert "/api/v1/sims" in paths and "/api/v1/sims/{iccid}/quota/data" in paths
    # Clients of the old form keep working.
    assert client.get("/api/v1/jobs/").status_code == client.get("/api/v1/jobs").status_code


@pytest.mark.django_db
def test_every_operation_is_tagged_with_its_area(openapi):
    tags = {(method, path): operation["tags"] for method, path, operation in operations(openapi)}
    assert {tag for names in tags.values() for tag in names} == AREAS
    assert all(len(names) == 1 for names in tags.values())
    assert tags[("get", "/api/v1/sims/{iccid}/quota/data")] == ["Quotas"]
    assert tags[("get", "/api/v1/sims/{iccid}/usage")] == ["Usage"]
    assert tags[("post", "/api/v1/sims/{iccid}/sms")] == ["SMS"]
    assert tags[("get", "/api/v1/sims/{iccid}")] == ["SIMs"]
    assert tags[("post", "/api/auth/login")] == ["Accounts"]
    assert tags[("get", "/api/v1/jobs")] == ["Core"]


@pytest.mark.django_db
def test_every_operation_has_its_own_summary_and_description(openapi):
    summaries, descriptions = {}, {}
    for method, path, operation in operations(openapi):
        summary, description = operation.get("summary", ""), operation.get("description", "")
        assert summary and not summary.endswith("."), (method, path)
        assert description, (method, path)
        assert summaries.setdefault(summary, (method, path)) == (method, path), summary
        assert descriptions.setdefault(description, (method, path)) == (method, path), summary
    ops = {(m, p): o for m, p, o in operations(openapi)}
    assert ops[("get", "/api/v1/sims")]["summary"] == "List SIMs"
    assert ops[("get", "/api/v1/sims/limits")]["summary"] == "Get the organization's SIM limits"
    assert ops[("post", "/api/v1/sims/limits")]["summary"] == "Set the organization's SIM limits"
    assert ops[("post", "/api/v1/sims/{iccid}/topup")]["description"].startswith(
        "``volume`` must be a whole number"
    )


def test_docstring_split_into_summary_and_description():
    from core.schema import method_doc, split_doc

    assert split_doc("Sync one SIM now.\n\nReads it at 1NCE.") == (
        "Sync one SIM now",
        "Reads it at 1NCE.",
    )
    assert split_doc("One. Two three.") == ("One", "Two three.")
    doc = "GET: Read it. Plainly.\n\nPUT: Write it.\n\nShared words."
    assert method_doc(doc, "PUT") == "Write it.\n\nShared words."
    assert split_doc(method_doc(doc, "GET")) == ("Read it", "Plainly.\n\nShared words.")


# --- The docs load nothing from outside ---------------------------------------------------------


@pytest.mark.django_db
def test_redoc_page_and_bundle_are_offline(client):
    html = client.get("/redoc").content.decode()
    assert "fonts.googleapis" not in html and "fonts.gstatic" not in html
    assert not re.search(r'(src|href)="https?://', html)
    bundle_url = re.search(r'<script src="([^"]+)"', html).group(1)
    assert bundle_url == reverse("redoc-bundle")
    bundle = client.get(bundle_url)
    assert bundle.status_code == 200
    assert bundle["Content-Type"].startswith("text/javascript")
    assert "max-age=86400" in bundle["Cache-Control"]
    content = bundle.content
    assert REDOC_REMOTE_LOGO not in content and b"fonts.googleapis" not in content
    assert b"API docs by Redocly" in content  # the rest of the bundle is the sidecar's


@pytest.mark.django_db
def test_swagger_page_is_offline(client):
    html = client.get("/docs").content.decode()
    assert not re.search(r'(src|href)="https?://', html)
    script = re.search(r'<script src="([^"]*\?script=[^"]*)"', html).group(1)
    init = client.get(script.replace("&amp;", "&")).content.decode()
    # Swagger UI's default validator badge is an image from validator.swagger.io.
    assert '"validatorUrl": null' in init
