import pytest
from django.core.management import call_command


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
    assert "/static/drf_spectacular_sidecar/" in html
    assert "cdn.jsdelivr.net" not in html
