"""HSTS behind the proxy, and the Content-Security-Policy of the admin and the docs."""

import pytest


def csp(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


@pytest.mark.django_db
def test_admin_login_sends_a_strict_csp(client):
    policy = csp(client.get("/admin/login/"))
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_docs_send_a_csp_with_only_the_allowances_they_need(client, path):
    response = client.get(path)
    assert response.status_code == 200
    policy = csp(response)
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'", "'unsafe-inline'"]
    assert policy["worker-src"] == ["'self'", "blob:"]
    assert b"<script>" not in response.content  # Swagger's init script is served as a file
    assert b"fonts.googleapis.com" not in response.content


@pytest.mark.django_db
def test_swagger_init_script_is_served_from_the_docs_url(client):
    response = client.get("/docs?script=")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle" in response.content


@pytest.mark.django_db
def test_hsts_is_sent_on_https_behind_the_proxy(client, settings):
    settings.SECURE_HSTS_SECONDS = 600
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    response = client.get("/health", HTTP_X_FORWARDED_PROTO="https")
    assert response["Strict-Transport-Security"] == "max-age=600; includeSubDomains"
    assert "Strict-Transport-Security" not in client.get("/health")


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/admin/login/", "/api/v1/sims", "/no-such-page", "/docs"])
def test_the_policy_built_once_is_django_csps_own(client, path, settings):
    ours = client.get(path)
    settings.MIDDLEWARE = [
        "csp.middleware.CSPMiddleware" if name == "core.middleware.CSPMiddleware" else name
        for name in settings.MIDDLEWARE
    ]
    theirs = client.get(path)
    assert ours["Content-Security-Policy"] == theirs["Content-Security-Policy"]


@pytest.mark.django_db
def test_a_changed_policy_is_built_again(client, settings):
    client.get("/admin/login/")
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'none'"]}}
    assert client.get("/admin/login/")["Content-Security-Policy"] == "default-src 'none'"
