"""A Celery worker killed (SIGKILL) mid-batch of webhook deliveries: nothing is lost and, by
delivery id, nothing is doubled (issue 17)."""

import os
import signal

import pytest
from django.db import transaction
from django.utils import timezone

from alerts import services
from alerts.models import DeliveryStatus, WebhookDelivery
from alerts.tests.test_webhooks import make_webhook, publish_threshold
from core.tests.waiting import wait_for

pytestmark = pytest.mark.django_db(transaction=True)

EVENTS = 12


def test_a_worker_killed_mid_batch_loses_no_delivery_and_doubles_none_by_id(
    organization, receiver, worker_process, settings
):
    make_webhook(organization, receiver.url)
    receiver.delay = 0.2  # a batch takes seconds: the kill lands in the middle of it
    with transaction.atomic():
        for index in range(EVENTS):
            publish_threshold(organization, f"89882286660000{index:05d}")
    worker = worker_process("solo")
    wait_for(lambda: len(receiver.requests) >= 3, timeout=60, what="the worker to send some")

    os.killpg(worker.pid, signal.SIGKILL)  # mid-batch: its claims are neither sent nor recorded
    worker.wait(timeout=10)
    sent_before = set(receiver.delivery_ids())
    assert 3 <= len(sent_before) < EVENTS
    held = WebhookDelivery.objects.filter(status=DeliveryStatus.SENDING)
    assert held.exists() and not held.filter(lease_until__lte=timezone.now()).exists()
    assert services.sweep_due_deliveries() == 0  # a live lease is nobody else's to send

    held.update(lease_until=timezone.now())  # the lease runs out, as it would after a minute
    settings.CELERY_TASK_ALWAYS_EAGER = True
    receiver.delay = 0
    assert services.sweep_due_deliveries() == 1

    deliveries = WebhookDelivery.objects.all()
    assert deliveries.count() == EVENTS
    assert set(deliveries.values_list("status", flat=True)) == {DeliveryStatus.SUCCEEDED}
    received = receiver.delivery_ids()
    assert set(received) == set(deliveries.values_list("delivery_id", flat=True))  # none lost
    # Only what the killed worker had sent arrives a second time, under its delivery id.
    assert {d for d, count in received.items() if count > 1} <= sent_before
    assert all(count <= 2 for count in received.values())
