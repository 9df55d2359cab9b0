"""Webhook subscriptions and deliveries: signed, retried for a day, never lost, each once by id.

A delivery row is written in the transaction that dispatches its event (``fan_out``), so a
worker that dies before sending leaves a pending row that the sweep sends later. An attempt
claims the row with a lease first; a worker killed mid-send leaves the lease to expire and the
sweep sends again with the same ``delivery_id``, which the receiver uses to drop the repeat.
"""

import json
import random
import secrets as secrets_module
import time
from datetime import timedelta

import requests
import structlog
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.audit import record_audit
from alerts.models import DeliveryStatus, Webhook, WebhookDelivery
from alerts.patterns import matches, receiver_session, validate_patterns, validate_receiver_url
from alerts.signing import signed_headers
from core.context import Context
from core.errors import Conflict, InvalidInput
from core.events import publish
from core.models import DomainEvent
from core.services import task_for

logger = structlog.get_logger(__name__)

DELIVER_TASK = "alerts.tasks.deliver_webhook"
# The first retry after 30 s, doubling up to 4 h: 15 attempts span about a day.
FIRST_RETRY_SECONDS = 30
MAX_RETRY_SECONDS = 4 * 3600
RESPONSE_KEPT_CHARS = 1000

_session = receiver_session()


def new_secret() -> str:
    return f"whsec_{secrets_module.token_urlsafe(32)}"


def create_webhook(
    *, organization, url: str, event_types: list[str], description: str = "", context: Context
) -> tuple[Webhook, str]:
    """Subscribe ``url`` to ``event_types``; returns the webhook and its secret (shown once)."""
    validate_receiver_url(url)
    patterns = validate_patterns(event_types)
    secret = new_secret()
    with transaction.atomic():
        webhook = Webhook.objects.create(
            organization=organization,
            url=url,
            event_types=patterns,
            description=description,
            secret=secret,
            created_by=context.actor,
        )
        _audit("CREATE_WEBHOOK", webhook, context, {"url": url, "event_types": patterns})
    return webhook, secret


def update_webhook(*, webhook: Webhook, changes: dict, context: Context) -> Webhook:
    """Change a webhook's URL, event types, description or active flag (re-enabling one that
    was disabled for failures clears its failure count)."""
    allowed = {"url", "event_types", "description", "is_active"}
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidInput(dict.fromkeys(sorted(unknown), "This field cannot be changed."))
    if "url" in changes:
        validate_receiver_url(changes["url"])
    if "event_types" in changes:
        changes = {**changes, "event_types": validate_patterns(changes["event_types"])}
    with transaction.atomic():
        for name, value in changes.items():
            setattr(webhook, name, value)
        if changes.get("is_active"):
            webhook.consecutive_failures = 0
            webhook.disabled_at = None
            webhook.disabled_reason = ""
        webhook.save()
        _audit("UPDATE_WEBHOOK", webhook, context, changes)
    return webhook


def delete_webhook(*, webhook: Webhook, context: Context) -> None:
    with transaction.atomic():
        _audit("DELETE_WEBHOOK", webhook, context, {"url": webhook.url})
        webhook.delete()


def fan_out(event: DomainEvent) -> None:
    """Outbox consumer: one delivery per active webhook of the event's organization that
    subscribed to it, sent after the commit."""
    if event.organization_id is None:
        return
    webhooks = Webhook.objects.filter(organization_id=event.organization_id, is_active=True)
    now = timezone.now()
    rows = [
        WebhookDelivery(
            webhook=webhook,
            event=event,
            organization_id=event.organization_id,
            next_attempt_at=now,
        )
        for webhook in webhooks.only("id", "event_types")
        if matches(webhook.event_types, event.name)
    ]
    if rows:
        WebhookDelivery.objects.bulk_create(rows)
        _enqueue_after_commit([row.pk for row in rows])


def send_test_event(*, webhook: Webhook, context: Context) -> WebhookDelivery:
    """Deliver a ``webhook.test`` event to this webhook only."""
    with transaction.atomic():
        event = DomainEvent.objects.create(
            name="webhook.test",
            organization_id=webhook.organization_id,
            subject=f"webhook:{webhook.pk}",
            data={"webhook_id": webhook.pk, "message": "This is a test event from FleetOps."},
            occurred_at=timezone.now(),
            dispatched_at=timezone.now(),  # for this webhook alone, not for every consumer
        )
        delivery = WebhookDelivery.objects.create(
            webhook=webhook,
            event=event,
            organization_id=webhook.organization_id,
            next_attempt_at=timezone.now(),
        )
        _audit("TEST_WEBHOOK", webhook, context, {"delivery_id": delivery.delivery_id})
        _enqueue_after_commit([delivery.pk])
    return delivery


def redeliver(*, delivery: WebhookDelivery, context: Context) -> WebhookDelivery:
    """Send a delivery again from its first attempt, with the same delivery id (a receiver
    that already has it drops it; one that never got it processes it)."""
    if delivery.status in {DeliveryStatus.PENDING, DeliveryStatus.SENDING}:
        raise Conflict("This delivery is already being sent.")
    with transaction.atomic():
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.PENDING,
            attempts=0,
            next_attempt_at=timezone.now(),
            lease_until=None,
            error="",
        )
        _audit(
            "REDELIVER_WEBHOOK", delivery.webhook, context, {"delivery_id": delivery.delivery_id}
        )
        _enqueue_after_commit([delivery.pk])
    delivery.refresh_from_db()
    return delivery


def deliver(delivery_pk: int) -> str | None:
    """One attempt of one delivery, if it is due and nobody else holds it; returns the status
    it ends in, or None when there was nothing to do."""
    now = timezone.now()
    lease = now + timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS + 30)
    due = Q(status__in=[DeliveryStatus.PENDING, DeliveryStatus.RETRYING], next_attempt_at__lte=now)
    abandoned = Q(status=DeliveryStatus.SENDING, lease_until__lt=now)
    claimed = WebhookDelivery.objects.filter(due | abandoned, pk=delivery_pk).update(
        status=DeliveryStatus.SENDING,
        lease_until=lease,
        attempts=F("attempts") + 1,
        last_attempt_at=now,
    )
    if not claimed:
        return None
    delivery = WebhookDelivery.objects.select_related("webhook", "event").get(pk=delivery_pk)
    webhook = delivery.webhook
    if not webhook.is_active:
        return _finish(delivery, DeliveryStatus.FAILED, error="The webhook is disabled.")
    body = json.dumps(delivery.event.payload, separators=(",", ":")).encode()
    started = time.monotonic()
    try:
        validate_receiver_url(webhook.url, resolve=False)  # the session checks the address
        response = _session.post(
            webhook.url,
            data=body,
            headers=signed_headers(
                secret=webhook.secret,
                body=body,
                delivery_id=delivery.delivery_id,
                event=delivery.event.name,
            ),
            timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
            allow_redirects=False,
        )
    except (requests.RequestException, InvalidInput) as exc:
        return _failed_attempt(delivery, started, error=_describe(exc))
    if 200 <= response.status_code < 300:
        return _finish(delivery, DeliveryStatus.SUCCEEDED, started=started, response=response)
    return _failed_attempt(
        delivery, started, error=f"HTTP {response.status_code}", response=response
    )


def _failed_attempt(delivery, started, *, error: str, response=None) -> str:
    if delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        return _finish(
            delivery, DeliveryStatus.FAILED, started=started, error=error, response=response
        )
    delay = min(FIRST_RETRY_SECONDS * 2 ** (delivery.attempts - 1), MAX_RETRY_SECONDS)
    delay *= random.uniform(0.8, 1.2)  # noqa: S311 - jitter, not a secret
    return _finish(
        delivery,
        DeliveryStatus.RETRYING,
        started=started,
        error=error,
        response=response,
        next_attempt_at=timezone.now() + timedelta(seconds=delay),
    )


def _finish(
    delivery: WebhookDelivery,
    status: str,
    *,
    started: float | None = None,
    error: str = "",
    response=None,
    next_attempt_at=None,
) -> str:
    now = timezone.now()
    fields = {
        "status": status,
        "lease_until": None,
        "error": error[:500],
        "next_attempt_at": next_attempt_at,
        "latency_ms": round((time.monotonic() - started) * 1000) if started is not None else None,
        "response_status": response.status_code if response is not None else None,
        "response_body": response.text[:RESPONSE_KEPT_CHARS] if response is not None else "",
    }
    if status == DeliveryStatus.SUCCEEDED:
        fields["delivered_at"] = now
    with transaction.atomic():
        WebhookDelivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.SENDING).update(
            **fields
        )
        webhooks = Webhook.objects.filter(pk=delivery.webhook_id)
        if status == DeliveryStatus.SUCCEEDED:
            webhooks.exclude(consecutive_failures=0).update(consecutive_failures=0)
        elif status == DeliveryStatus.FAILED:
            webhooks.update(consecutive_failures=F("consecutive_failures") + 1)
            _disable_if_failing(delivery.webhook_id)
    logger.info(
        "webhook_delivery_attempt",
        delivery_id=delivery.delivery_id,
        status=status,
        attempt=delivery.attempts,
        response_status=fields["response_status"],
    )
    return status


def _disable_if_failing(webhook_pk: int) -> None:
    webhook = Webhook.objects.select_for_update().get(pk=webhook_pk)
    if (
        not webhook.is_active
        or webhook.consecutive_failures < settings.WEBHOOK_DISABLE_AFTER_FAILURES
    ):
        return
    webhook.is_active = False
    webhook.disabled_at = timezone.now()
    webhook.disabled_reason = (
        f"{webhook.consecutive_failures} deliveries in a row failed after every retry."
    )
    webhook.save(update_fields=["is_active", "disabled_at", "disabled_reason", "updated_at"])
    publish(
        "webhook.disabled",
        organization_id=webhook.organization_id,
        subject=f"webhook:{webhook.pk}",
        data={"webhook_id": webhook.pk, "url": webhook.url, "reason": webhook.disabled_reason},
    )
    logger.warning("webhook_disabled", webhook_id=webhook.pk, reason=webhook.disabled_reason)


def sweep_due_deliveries(*, limit: int = 1000) -> int:
    """Enqueue deliveries that are due or whose worker died mid-send (the periodic safety net
    under the enqueue-on-commit)."""
    now = timezone.now()
    due = WebhookDelivery.objects.filter(
        Q(status__in=[DeliveryStatus.PENDING, DeliveryStatus.RETRYING], next_attempt_at__lte=now)
        | Q(status=DeliveryStatus.SENDING, lease_until__lt=now)
    ).order_by("next_attempt_at")
    pks = list(due.values_list("pk", flat=True)[:limit])
    _enqueue(pks)
    return len(pks)


def prune_deliveries(*, older_than_days: int) -> int:
    cutoff = timezone.now() - timedelta(days=older_than_days)
    deleted, _ = WebhookDelivery.objects.filter(
        status__in=[DeliveryStatus.SUCCEEDED, DeliveryStatus.FAILED], created_at__lt=cutoff
    ).delete()
    return deleted


def _enqueue_after_commit(pks: list[int]) -> None:
    transaction.on_commit(lambda: _enqueue(pks))


def _enqueue(pks: list[int]) -> None:
    task = task_for(DELIVER_TASK)
    for pk in pks:
        try:
            task.apply_async(args=[pk], retry=False)
        except Exception as exc:  # the sweep sends it instead
            logger.warning("webhook_delivery_not_enqueued", delivery=pk, error=str(exc))
            return


def _describe(exc: Exception) -> str:
    if isinstance(exc, InvalidInput):
        return "Refused: " + "; ".join(e["msg"] for e in exc.errors)
    if isinstance(exc, requests.Timeout):
        return "Timed out."
    if isinstance(exc, requests.ConnectionError):
        return "Connection failed."
    return type(exc).__name__


def _audit(operation: str, webhook: Webhook, context: Context, body: dict) -> None:
    record_audit(
        operation=operation,
        resource_type="webhook",
        resource_id=webhook.pk,
        user=context.actor,
        organization=webhook.organization,
        request_body=body,
    )
