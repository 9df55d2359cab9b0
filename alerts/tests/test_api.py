import pytest

from accounts.models import Role
from alerts.models import Alert, AlertRule, Webhook
from core.events import publish

pytestmark = pytest.mark.django_db


def test_creating_a_webhook_answers_its_secret_once(operator_client, receiver):
    answer = operator_client.post(
        "/api/v1/webhooks",
        {"url": receiver.url, "event_types": ["quota.*", "sim.activated"]},
        format="json",
    )
    assert answer.status_code == 201, answer.json()
    body = answer.json()["data"]
    assert body["secret"].startswith("whsec_")
    assert answer["Cache-Control"] == "no-store"
    listed = operator_client.get("/api/v1/webhooks").json()
    assert [w["url"] for w in listed["data"]] == [receiver.url]
    assert "secret" not in listed["data"][0]
    assert Webhook.objects.get().secret == body["secret"]


def test_a_webhook_for_an_unknown_event_or_a_bad_url_is_refused(operator_client, settings):
    answer = operator_client.post(
        "/api/v1/webhooks",
        {"url": "https://example.com/hook", "event_types": ["quota.exploded"]},
        format="json",
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["details"]["errors"][0]["loc"] == ["event_types"]
    assert "quota.threshold_reached" in answer.json()["error"]["details"]["allowed_values"]
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    answer = operator_client.post(
        "/api/v1/webhooks",
        {"url": "http://127.0.0.1:8000/admin/", "event_types": ["*"]},
        format="json",
    )
    assert answer.status_code == 422
    assert not Webhook.objects.exists()


def test_another_organizations_webhooks_and_alerts_are_invisible(
    operator_client, other_organization, organization, receiver
):
    from alerts import services
    from core.context import Context

    theirs, _ = services.create_webhook(
        organization=other_organization, url=receiver.url, event_types=["*"], context=Context()
    )
    ours, _ = services.create_webhook(
        organization=organization, url=receiver.url, event_types=["*"], context=Context()
    )
    assert [w["id"] for w in operator_client.get("/api/v1/webhooks").json()["data"]] == [ours.pk]
    assert operator_client.delete(f"/api/v1/webhooks/{theirs.pk}").status_code == 404
    assert operator_client.post(f"/api/v1/webhooks/{theirs.pk}/test").status_code == 404
    assert Webhook.objects.filter(pk=theirs.pk).exists()

    publish("connectivity.lost", organization_id=other_organization.pk, subject="sim:1", data={})
    publish("quota.depleted", organization_id=organization.pk, subject="sim:2", data={})
    from core.events import dispatch_pending

    dispatch_pending()
    alerts = operator_client.get("/api/v1/alerts").json()["data"]
    assert [a["subject"] for a in alerts] == ["sim:2"]
    their_alert = Alert.objects.get(organization=other_organization)
    assert operator_client.get(f"/api/v1/alerts/{their_alert.pk}").status_code == 404
    assert operator_client.post(f"/api/v1/alerts/{their_alert.pk}/acknowledge").status_code == 404


def test_rules_are_listed_created_and_updated_through_the_api(operator_client, organization):
    listed = operator_client.get("/api/v1/alerts/rules").json()
    assert (
        listed["pagination"]["total"] == AlertRule.objects.filter(organization=organization).count()
    )
    answer = operator_client.post(
        "/api/v1/alerts/rules",
        {
            "name": "Depleted on site B",
            "event_types": ["quota.depleted"],
            "conditions": {"sim_tags": ["site:B"]},
            "channels": [{"type": "email", "to": ["ops@example.com"]}],
            "dedup_window_minutes": 30,
        },
        format="json",
    )
    assert answer.status_code == 201, answer.json()
    rule_id = answer.json()["data"]["id"]
    again = operator_client.post(
        "/api/v1/alerts/rules",
        {"name": "Depleted on site B", "event_types": ["quota.*"], "channels": [{"type": "email"}]},
        format="json",
    )
    assert again.status_code == 409
    patched = operator_client.patch(
        f"/api/v1/alerts/rules/{rule_id}", {"is_active": False}, format="json"
    )
    assert patched.status_code == 200 and patched.json()["data"]["is_active"] is False


def test_a_viewer_reads_alerts_but_cannot_acknowledge_or_subscribe(
    client_for, organization, receiver
):
    viewer = client_for(Role.VIEWER)
    publish("quota.depleted", organization_id=organization.pk, subject="sim:2", data={})
    from core.events import dispatch_pending

    dispatch_pending()
    alert = Alert.objects.get()
    assert viewer.get(f"/api/v1/alerts/{alert.pk}").json()["data"]["events"][0]["event"] == (
        "quota.depleted"
    )
    assert viewer.post(f"/api/v1/alerts/{alert.pk}/acknowledge").status_code == 403
    assert (
        viewer.post(
            "/api/v1/webhooks", {"url": receiver.url, "event_types": ["*"]}, format="json"
        ).status_code
        == 403
    )


def test_acknowledging_and_resolving_over_the_api(operator_client, organization):
    publish("quota.depleted", organization_id=organization.pk, subject="sim:2", data={})
    from core.events import dispatch_pending

    dispatch_pending()
    alert = Alert.objects.get()
    acked = operator_client.post(f"/api/v1/alerts/{alert.pk}/acknowledge")
    assert acked.status_code == 200 and acked.json()["data"]["status"] == "acknowledged"
    assert operator_client.post(f"/api/v1/alerts/{alert.pk}/acknowledge").status_code == 409
    resolved = operator_client.post(
        f"/api/v1/alerts/{alert.pk}/resolve", {"resolution": "Bought more."}, format="json"
    )
    assert resolved.status_code == 200 and resolved.json()["data"]["status"] == "resolved"
    assert operator_client.get("/api/v1/alerts?status=open").json()["data"] == []
