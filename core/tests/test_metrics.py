import pytest


@pytest.mark.django_db
def test_metrics_open_to_allowed_address(client):
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1")
    assert response.status_code == 200
    assert b"django_http_requests" in response.content


@pytest.mark.django_db
def test_metrics_refuse_other_addresses(client):
    response = client.get("/metrics", REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "FORBIDDEN"


@pytest.mark.django_db
def test_metrics_accept_bearer_token_from_anywhere(client, settings):
    settings.METRICS_TOKEN = "s3cret-metrics"
    ok = client.get(
        "/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer s3cret-metrics"
    )
    bad = client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_AUTHORIZATION="Bearer wrong")
    assert ok.status_code == 200
    assert bad.status_code == 403


@pytest.mark.django_db
def test_metrics_behind_a_proxy_judge_the_client_not_the_proxy(client, settings):
    settings.NUM_PROXIES = 1
    # A proxy on the same host connects from loopback on behalf of an outside client.
    outside = client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert outside.status_code == 403
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200


@pytest.mark.django_db
def test_production_metrics_need_the_token_even_from_loopback(client, settings):
    settings.PRODUCTION = True
    settings.METRICS_TOKEN = "s3cret-metrics"
    for address in ("127.0.0.1", "::1"):
        response = client.get("/metrics", REMOTE_ADDR=address)
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "FORBIDDEN"
    ok = client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_AUTHORIZATION="Bearer s3cret-metrics")
    assert ok.status_code == 200
    assert b"django_http_requests" in ok.content


@pytest.mark.django_db
def test_production_without_metrics_token_refuses_every_caller(client, settings):
    settings.PRODUCTION = True
    settings.METRICS_TOKEN = ""
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_AUTHORIZATION="Bearer ")
    assert response.status_code == 403
    assert "METRICS_TOKEN" in response.json()["error"]["message"]
