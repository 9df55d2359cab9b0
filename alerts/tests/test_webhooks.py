import ipaddress
import json
import socket
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from accounts.models import AuditLog, Role
from alerts import services
from alerts.models import AlertRule, DeliveryStatus, Notification, Webhook, WebhookDelivery
from alerts.patterns import is_public, receiver_session
from alerts.signing import verify
from alerts.tests.receiver import Receiver
from core.context import Context
from core.errors import InvalidInput
from core.events import dispatch_pending, publish
from core.models import DomainEvent

pytestmark = pytest.mark.django_db


def make_webhook(organization, url, event_types=("quota.*",)):
    webhook, secret = services.create_webhook(
        organization=organization, url=url, event_types=list(event_types), context=Context()
    )
    return webhook, secret


def publish_threshold(organization, iccid="8988228666000000001"):
    return publish(
        "quota.threshold_reached",
        organization_id=organization.pk,
        subject=f"sim:{iccid}",
        data={
            "iccid": iccid,
            "quota_type": "data",
            "threshold": 80,
            "current_usage": 419430400,
            "total_quota": 524288000,
        },
    )


def test_a_published_event_arrives_signed_in_seed_001s_payload(
    organization, receiver, run_on_commit
):
    _webhook, secret = make_webhook(organization, receiver.url)
    event = run_on_commit(publish_threshold, organization)

    [request] = receiver.requests
    headers, body = request["headers"], request["body"]
    assert verify(
        secret,
        body=body,
        timestamp=headers["X-FleetOps-Timestamp"],
        signature_header=headers["X-FleetOps-Signature"],
    )
    assert not verify(
        "whsec_other",
        body=body,
        timestamp=headers["X-FleetOps-Timestamp"],
        signature_header=headers["X-FleetOps-Signature"],
    )
    payload = json.loads(body)
    assert payload["event"] == "quota.threshold_reached"
    assert payload["id"] == event.event_id
    assert payload["data"] == {
        "iccid": "8988228666000000001",
        "quota_type": "data",
        "threshold": 80,
        "current_usage": 419430400,
        "total_quota": 524288000,
    }
    assert headers["X-FleetOps-Event"] == "quota.threshold_reached"
    delivery = WebhookDelivery.objects.get()
    assert headers["X-FleetOps-Delivery"] == delivery.delivery_id
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert delivery.response_status == 204 and delivery.latency_ms is not None


def test_an_event_of_a_rolled_back_change_is_never_sent(organization, receiver, run_on_commit):
    make_webhook(organization, receiver.url)

    def change_that_fails():
        with transaction.atomic():
            publish_threshold(organization)
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        run_on_commit(change_that_fails)
    assert not DomainEvent.objects.exists()
    assert receiver.requests == []


def test_webhooks_receive_only_their_own_organizations_subscribed_events(
    organization, other_organization, receiver, run_on_commit
):
    make_webhook(organization, receiver.url, ["sim.*"])
    make_webhook(other_organization, receiver.url, ["quota.*"])
    run_on_commit(publish_threshold, organization)
    assert receiver.requests == []  # ours is not subscribed; theirs is not ours
    assert not WebhookDelivery.objects.exists()


def test_a_receiver_that_is_down_gets_the_delivery_later_once_by_id(
    organization, receiver, run_on_commit
):
    make_webhook(organization, receiver.url)
    receiver.answer = 503
    run_on_commit(publish_threshold, organization)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.RETRYING
    assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=20)

    receiver.answer = 200
    assert services.sweep_due_deliveries() == 0  # not due yet: nothing is sent early
    WebhookDelivery.objects.update(next_attempt_at=timezone.now())
    services.sweep_due_deliveries()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.attempts == 2
    assert receiver.delivery_ids() == {delivery.delivery_id: 2}


def test_retries_back_off_exponentially_and_stop_after_the_last_attempt(
    organization, receiver, settings, run_on_commit
):
    settings.WEBHOOK_MAX_ATTEMPTS = 4
    make_webhook(organization, receiver.url)
    receiver.answer = 500
    run_on_commit(publish_threshold, organization)
    delays = []
    for _ in range(3):
        delivery = WebhookDelivery.objects.get()
        if delivery.status != DeliveryStatus.RETRYING:
            break
        delays.append((delivery.next_attempt_at - delivery.last_attempt_at).total_seconds())
        WebhookDelivery.objects.update(next_attempt_at=timezone.now())
        services.sweep_due_deliveries()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == 4
    assert delivery.error == "HTTP 500" and delivery.response_status == 500
    assert delays[0] < delays[1] < delays[2]
    assert 20 < delays[0] < 40


def test_a_worker_killed_mid_send_is_taken_over_with_the_same_delivery_id(
    organization, receiver, run_on_commit
):
    make_webhook(organization, receiver.url)
    run_on_commit(publish_threshold, organization)
    delivery = WebhookDelivery.objects.get()
    # As a worker that sent and died before recording it leaves the row: claimed, lease over.
    WebhookDelivery.objects.update(
        status=DeliveryStatus.SENDING, lease_until=timezone.now() - timedelta(seconds=1)
    )
    services.sweep_due_deliveries()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert receiver.delivery_ids() == {delivery.delivery_id: 2}  # the receiver drops the repeat


def test_a_delivery_held_by_a_live_worker_is_not_sent_twice(organization, receiver):
    webhook, _ = make_webhook(organization, receiver.url)
    event = publish_threshold(organization)
    WebhookDelivery.objects.create(
        webhook=webhook,
        event=event,
        organization=organization,
        status=DeliveryStatus.SENDING,
        lease_until=timezone.now() + timedelta(seconds=30),
        next_attempt_at=timezone.now(),
    )
    assert services.drain(webhook.pk) == {}
    assert services.sweep_due_deliveries() == 0
    assert receiver.requests == []


def test_a_webhook_failing_every_delivery_is_disabled_with_an_event_and_an_email(
    organization, make_user, receiver, settings, run_on_commit, mailoutbox
):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 2
    make_user(role=Role.ADMIN, email="admin@example.com")
    webhook, _ = make_webhook(organization, receiver.url)
    receiver.answer = 500
    run_on_commit(publish_threshold, organization, "8988228666000000001")
    webhook.refresh_from_db()
    assert webhook.is_active and webhook.consecutive_failures == 1
    run_on_commit(publish_threshold, organization, "8988228666000000002")
    webhook.refresh_from_db()
    assert not webhook.is_active and webhook.disabled_at is not None
    assert DomainEvent.objects.filter(name="webhook.disabled").count() == 1
    disabled_mail = [m for m in mailoutbox if "Webhook disabled" in m.body]
    assert [m.to for m in disabled_mail] == [["admin@example.com"]]

    run_on_commit(publish_threshold, organization, "8988228666000000003")
    assert WebhookDelivery.objects.count() == 2  # a disabled webhook gets nothing new


def test_a_test_event_goes_to_that_webhook_only(organization, receiver, run_on_commit):
    webhook, _ = make_webhook(organization, receiver.url, ["*"])
    make_webhook(organization, receiver.url.replace("/hook", "/other"), ["*"])
    run_on_commit(services.send_test_event, webhook=webhook, context=Context())
    [request] = receiver.requests
    assert request["path"] == "/hook"
    assert json.loads(request["body"])["event"] == "webhook.test"


def test_redelivery_sends_the_same_delivery_id_again(organization, receiver, run_on_commit):
    make_webhook(organization, receiver.url)
    receiver.answer = 500
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("django.conf.settings.WEBHOOK_MAX_ATTEMPTS", 1)
        run_on_commit(publish_threshold, organization)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    receiver.answer = 200
    run_on_commit(services.redeliver, delivery=delivery, context=Context())
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert receiver.delivery_ids() == {delivery.delivery_id: 2}
    assert AuditLog.objects.filter(operation="REDELIVER_WEBHOOK").count() == 1


def test_receivers_on_private_networks_and_plain_http_are_refused_in_production(
    organization, settings
):
    settings.WEBHOOK_ALLOW_HTTP = False
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    for url in [
        "http://example.com/hook",
        "https://127.0.0.1/hook",
        "https://10.1.2.3/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook",
        "https://localhost/hook",
        "https://user:pw@example.com/hook",
        "ftp://example.com/hook",
    ]:
        with pytest.raises(InvalidInput):
            make_webhook(organization, url)
    assert not Webhook.objects.exists()


def test_a_receiver_moved_to_a_private_address_is_refused_at_send_time(
    organization, receiver, settings, run_on_commit
):
    make_webhook(organization, receiver.url)
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    run_on_commit(publish_threshold, organization)
    assert receiver.requests == []
    assert WebhookDelivery.objects.get().error.startswith("Refused")


def test_dispatch_hands_each_event_to_consumers_once(organization, receiver, run_on_commit):
    make_webhook(organization, receiver.url)
    run_on_commit(publish_threshold, organization)
    assert dispatch_pending() == 0
    assert WebhookDelivery.objects.count() == 1
    assert DomainEvent.objects.get().dispatched_at is not None


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:4700::1111", True),
        ("127.0.0.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("::ffff:127.0.0.1", False),  # IPv4-mapped
        ("::ffff:10.0.0.1", False),
        ("64:ff9b::a9fe:a9fe", False),  # NAT64 of 169.254.169.254
        ("::7f00:1", False),  # IPv4-compatible 127.0.0.1
        ("2002:7f00:1::", False),  # 6to4 of 127.0.0.1
        ("64:ff9b::5db8:d822", True),  # NAT64 of a public address
    ],
)
def test_an_address_carrying_a_private_ipv4_address_is_not_public(address, public):
    assert is_public(ipaddress.ip_address(address)) is public


def test_the_receiver_session_checks_the_address_it_connects_to(receiver, settings):
    """Whatever was checked before, the connection itself refuses a private address: nothing
    reaches the receiver."""
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    with pytest.raises(InvalidInput):
        receiver_session().post(receiver.url, data=b"{}", timeout=5, allow_redirects=False)
    assert receiver.requests == []
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    response = receiver_session().post(receiver.url, data=b"{}", timeout=5)
    assert response.status_code == 204 and len(receiver.requests) == 1


def test_a_name_rebound_to_a_private_address_after_it_was_saved_gets_nothing(
    organization, receiver, settings, run_on_commit, monkeypatch
):
    """DNS rebinding: the name resolved to a public address when the webhook was saved and
    resolves to the loopback receiver when the delivery connects."""
    real = socket.getaddrinfo
    answers = {"rebind.example": "93.184.216.34"}

    def resolve(host, port, *args, **kwargs):
        if host in answers:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[host], port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    make_webhook(organization, f"http://rebind.example:{receiver.port}/hook")
    answers["rebind.example"] = "127.0.0.1"
    run_on_commit(publish_threshold, organization)
    assert receiver.requests == []
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.RETRYING
    assert delivery.error.startswith("Refused")


def test_an_alert_goes_only_to_an_active_webhook_of_the_rules_organization(
    organization, other_organization, receiver, run_on_commit
):
    ours, _ = make_webhook(organization, receiver.url, ["webhook.test"])
    theirs, _ = make_webhook(other_organization, receiver.url.replace("/hook", "/theirs"))
    AlertRule.objects.filter(organization=organization).delete()
    rule = services.create_rule(
        organization=organization,
        values={
            "name": "To our webhook",
            "event_types": ["quota.*"],
            "channels": [{"type": "webhook", "webhook_id": ours.pk}],
        },
        context=Context(),
    )
    run_on_commit(publish_threshold, organization, "8988228666000000001")
    assert [r["path"] for r in receiver.requests] == ["/hook"]
    assert json.loads(receiver.requests[0]["body"])["event"] == "alert.opened"

    # A rule row pointing at another organization's webhook (or at a disabled one) sends nothing.
    AlertRule.objects.filter(pk=rule.pk).update(
        channels=[{"type": "webhook", "webhook_id": theirs.pk}]
    )
    run_on_commit(publish_threshold, organization, "8988228666000000002")
    Webhook.objects.filter(pk=ours.pk).update(is_active=False)
    AlertRule.objects.filter(pk=rule.pk).update(
        channels=[{"type": "webhook", "webhook_id": ours.pk}]
    )
    run_on_commit(publish_threshold, organization, "8988228666000000003")
    assert [r["path"] for r in receiver.requests] == ["/hook"]
    assert set(
        Notification.objects.exclude(status=DeliveryStatus.SUCCEEDED).values_list(
            "error", flat=True
        )
    ) == {"The webhook is deleted or disabled."}


def test_a_receiver_that_went_away_gets_what_it_missed_once_it_is_back(
    organization, receiver, run_on_commit
):
    """Down means down: the sender's kept-alive connection to it fails too; everything sent
    meanwhile arrives once the receiver is back, each delivery once."""
    make_webhook(organization, receiver.url)
    run_on_commit(publish_threshold, organization, "8988228666000000001")  # connection pooled
    port = receiver.port
    receiver.stop()
    run_on_commit(publish_threshold, organization, "8988228666000000002")
    missed = WebhookDelivery.objects.get(event__data__iccid="8988228666000000002")
    assert missed.status == DeliveryStatus.RETRYING and missed.error == "Connection failed."

    back = Receiver(port=port)
    try:
        WebhookDelivery.objects.update(next_attempt_at=timezone.now())
        services.sweep_due_deliveries()
        missed.refresh_from_db()
        assert missed.status == DeliveryStatus.SUCCEEDED
        assert back.delivery_ids() == {missed.delivery_id: 1}
    finally:
        back.stop()


def publish_thresholds(organization, count):
    with transaction.atomic():
        for index in range(count):
            publish_threshold(organization, f"89882286660000{index:05d}")


def test_a_webhooks_backlog_goes_out_in_batches_each_delivery_once_in_order(
    organization, receiver, monkeypatch
):
    monkeypatch.setattr("alerts.services.webhooks.DRAIN_BATCH", 4)
    webhook, _ = make_webhook(organization, receiver.url)
    publish_thresholds(organization, 10)
    dispatch_pending()  # fanned out; the drains queued on commit never run here: a backlog
    assert WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING).count() == 10

    assert services.drain(webhook.pk) == {DeliveryStatus.SUCCEEDED: 10}
    deliveries = list(WebhookDelivery.objects.order_by("id"))
    assert receiver.delivery_ids() == {d.delivery_id: 1 for d in deliveries}
    sent = [json.loads(r["body"])["data"]["iccid"] for r in receiver.requests]
    assert sent == sorted(sent)  # oldest first
    assert {(d.status, d.attempts) for d in deliveries} == {(DeliveryStatus.SUCCEEDED, 1)}
    assert services.drain(webhook.pk) == {}  # nothing is sent twice


def test_once_a_receiver_is_unreachable_the_rest_of_the_batch_waits_for_its_retry_unsent(
    organization, receiver
):
    webhook, _ = make_webhook(organization, receiver.url)
    receiver.stop()
    publish_thresholds(organization, 5)
    dispatch_pending()
    assert services.drain(webhook.pk) == {DeliveryStatus.RETRYING: 5}
    deliveries = list(WebhookDelivery.objects.order_by("id"))
    assert deliveries[0].error == "Connection failed."
    assert {d.error for d in deliveries[1:]} == {
        "Not sent: the receiver could not be reached (Connection failed.)"
    }
    assert all(d.attempts == 1 and d.next_attempt_at > timezone.now() for d in deliveries)
    assert services.sweep_due_deliveries() == 0  # each waits for its own retry


def test_a_drain_out_of_time_hands_its_claims_back_unsent_for_the_next(
    organization, receiver, settings
):
    webhook, _ = make_webhook(organization, receiver.url)
    publish_thresholds(organization, 3)
    dispatch_pending()
    settings.WEBHOOK_DRAIN_SECONDS = 0
    assert services.drain(webhook.pk) == {}
    assert receiver.requests == []
    assert set(WebhookDelivery.objects.values_list("status", "attempts", "lease_until")) == {
        (DeliveryStatus.PENDING, 0, None)
    }

    settings.WEBHOOK_DRAIN_SECONDS = 20
    assert services.sweep_due_deliveries() == 1  # the sweep queues one drain for the webhook
    assert len(receiver.delivery_ids()) == 3 and set(receiver.delivery_ids().values()) == {1}
