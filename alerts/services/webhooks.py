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
from collections import Counter
from datetime import timedelta

import structlog
import urllib3
from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone
from urllib3.exceptions import NewConnectionError, ProtocolError, SSLError

from accounts.audit import record_audit
from alerts.models import DeliveryStatus, Webhook, WebhookDelivery
from alerts.patterns import matches, receiver_pool, validate_patterns, validate_receiver_url
from alerts.signing import signed_headers
from core.bulk import update_rows
from core.context import Context
from core.errors import Conflict, InvalidInput
from core.events import publish
from core.models import DomainEvent
from core.services import enqueue_once, forget_enqueued

logger = structlog.get_logger(__name__)

DRAIN_TASK = "alerts.tasks.drain_webhook"
# Deliveries claimed and recorded together: one claim and one write a batch, not a send.
DRAIN_BATCH = 100
# The first retry after 30 s, doubling up to 4 h: 15 attempts span about a day.
FIRST_RETRY_SECONDS = 30
MAX_RETRY_SECONDS = 4 * 3600
RESPONSE_KEPT_CHARS = 1000

_pool = receiver_pool()


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


def fan_out(events: list[DomainEvent]) -> None:
    """Outbox consumer: one delivery per event and active webhook of the event's organization
    that subscribed to it, written in one insert and sent after the commit."""
    organizations = {event.organization_id for event in events} - {None}
    if not organizations:
        return
    webhooks: dict[int, list[Webhook]] = {}
    for webhook in Webhook.objects.filter(organization_id__in=organizations, is_active=True).only(
        "id", "organization_id", "event_types"
    ):
        webhooks.setdefault(webhook.organization_id, []).append(webhook)
    now = timezone.now()
    rows = [
        WebhookDelivery(
            webhook=webhook,
            event=event,
            organization_id=event.organization_id,
            next_attempt_at=now,
        )
        for event in events
        for webhook in webhooks.get(event.organization_id, ())
        if matches(webhook.event_types, event.name)
    ]
    if rows:
        WebhookDelivery.objects.bulk_create(rows)
        _enqueue_after_commit(row.webhook_id for row in rows)


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
        _enqueue_after_commit([webhook.pk])
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
        _enqueue_after_commit([delivery.webhook_id])
    delivery.refresh_from_db()
    return delivery


def drain(webhook_pk: int) -> dict[str, int]:
    """Send the webhook's due deliveries, oldest first, in batches over its kept-alive
    connection; returns how many ended in each status.

    A batch is claimed with ``SKIP LOCKED`` and a lease, so two drains of one webhook never
    send the same delivery, and a worker killed mid-batch leaves its claims to expire and be
    sent again (same ``delivery_id``). A drain sends for ``WEBHOOK_DRAIN_SECONDS`` at most,
    then queues its successor, so one busy receiver does not hold a worker for long.
    """
    forget_enqueued(_drain_key(webhook_pk))
    counts: Counter = Counter()
    deadline = time.monotonic() + settings.WEBHOOK_DRAIN_SECONDS
    while True:
        batch = _claim(webhook_pk)
        if not batch:
            return dict(counts)
        counts.update(_send(batch, deadline=deadline))
        if time.monotonic() >= deadline:
            if counts:  # the rest after other work had its turn (or by the sweep)
                _enqueue_drains([webhook_pk])
            return dict(counts)
        if len(batch) < DRAIN_BATCH:
            return dict(counts)


def _claim(webhook_pk: int) -> list[WebhookDelivery]:
    """Claim up to ``DRAIN_BATCH`` due (or abandoned) deliveries of one webhook."""
    now = timezone.now()
    # Long enough for a whole drain and its last attempt; a dead worker's claims expire then.
    lease = now + timedelta(
        seconds=settings.WEBHOOK_DRAIN_SECONDS + settings.WEBHOOK_TIMEOUT_SECONDS + 30
    )
    with transaction.atomic():
        pks = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .filter(_due(now), webhook_id=webhook_pk)
            .order_by("next_attempt_at", "id")
            .values_list("pk", flat=True)[:DRAIN_BATCH]
        )
        if not pks:
            return []
        WebhookDelivery.objects.filter(pk__in=pks).update(
            status=DeliveryStatus.SENDING,
            lease_until=lease,
            attempts=F("attempts") + 1,
            last_attempt_at=now,
        )
    webhook = Webhook.objects.filter(pk=webhook_pk).first()  # its secret decrypted once
    if webhook is None:  # deleted meanwhile, and its deliveries with it
        return []
    batch = list(
        WebhookDelivery.objects.filter(pk__in=pks)
        .select_related("event")
        .order_by("next_attempt_at", "id")
    )
    for delivery in batch:
        delivery.webhook = webhook
    return batch


def _due(now) -> Q:
    """Deliveries to send now: due (first attempt or a retry), or claimed by a worker that
    died (its lease ran out)."""
    return Q(
        status__in=[DeliveryStatus.PENDING, DeliveryStatus.RETRYING], next_attempt_at__lte=now
    ) | Q(status=DeliveryStatus.SENDING, lease_until__lt=now)


def _send(batch: list[WebhookDelivery], *, deadline: float) -> Counter:
    """Post each claimed delivery and record the outcomes in one write.

    Once the receiver cannot be reached (refused, timed out, or its address refused), the
    rest of the batch is recorded as failed attempts with that error without being sent: it
    would have failed the same way, one timeout after another. Deliveries left when the
    drain's time is up are handed back unsent, their attempt not counted."""
    webhook = batch[0].webhook
    unreachable = "" if webhook.is_active else "The webhook is disabled."
    if not unreachable:
        try:
            validate_receiver_url(webhook.url, resolve=False)  # the session checks the address
        except InvalidInput as exc:
            unreachable = _describe(exc)
    finished, handed_back = [], []
    for delivery in batch:
        if unreachable:
            finished.append(_outcome(delivery, error=unreachable, final=not webhook.is_active))
        elif time.monotonic() >= deadline:
            handed_back.append(delivery)
        else:
            error, response, started = _post(webhook, delivery)
            if response is None:
                unreachable = f"Not sent: the receiver could not be reached ({error})"
            finished.append(_outcome(delivery, started=started, error=error, response=response))
    _record(webhook, finished, handed_back)
    return Counter(delivery.status for delivery in finished)


def _post(webhook: Webhook, delivery: WebhookDelivery):
    """One signed POST: ``(error, response, started)``; no response if it never answered."""
    body = json.dumps(delivery.event.payload, separators=(",", ":")).encode()
    started = time.monotonic()
    try:
        response = _pool.request(
            "POST",
            webhook.url,
            body=body,
            headers=signed_headers(
                secret=webhook.secret,
                body=body,
                delivery_id=delivery.delivery_id,
                event=delivery.event.name,
            ),
            timeout=urllib3.Timeout(
                connect=settings.WEBHOOK_TIMEOUT_SECONDS, read=settings.WEBHOOK_TIMEOUT_SECONDS
            ),
            retries=False,
            redirect=False,
        )
    except (urllib3.exceptions.HTTPError, InvalidInput) as exc:
        return _describe(exc), None, started
    error = "" if 200 <= response.status < 300 else f"HTTP {response.status}"
    return error, response, started


def _outcome(
    delivery: WebhookDelivery,
    *,
    started: float | None = None,
    error: str = "",
    response=None,
    final: bool = False,
) -> WebhookDelivery:
    """Set the attempt's outcome on ``delivery`` (saved by :func:`_record`): succeeded on a
    2xx answer, else retried with exponential backoff until the last attempt fails it."""
    now = timezone.now()
    delivery.lease_until = None
    delivery.error = error[:500]
    delivery.latency_ms = (
        round((time.monotonic() - started) * 1000) if started is not None else None
    )
    delivery.response_status = response.status if response is not None else None
    delivery.response_body = (
        response.data[: RESPONSE_KEPT_CHARS * 4].decode("utf-8", "replace")[:RESPONSE_KEPT_CHARS]
        if response is not None
        else ""
    )
    delivery.next_attempt_at = None
    if not error:
        delivery.status = DeliveryStatus.SUCCEEDED
        delivery.delivered_at = now
    elif final or delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        delivery.status = DeliveryStatus.FAILED
    else:
        delay = min(FIRST_RETRY_SECONDS * 2 ** (delivery.attempts - 1), MAX_RETRY_SECONDS)
        delay *= random.uniform(0.8, 1.2)  # noqa: S311 - jitter, not a secret
        delivery.status = DeliveryStatus.RETRYING
        delivery.next_attempt_at = now + timedelta(seconds=delay)
    return delivery


OUTCOME_FIELDS = [
    "status",
    "lease_until",
    "error",
    "next_attempt_at",
    "latency_ms",
    "response_status",
    "response_body",
    "delivered_at",
]


def _record(webhook: Webhook, finished: list, handed_back: list) -> None:
    """Save a batch's outcomes (on rows still being sent) and hand back the unsent; the
    webhook's run of failed deliveries restarts at a success, and a long run disables it."""
    failures_since_success = None
    for delivery in finished:
        if delivery.status == DeliveryStatus.SUCCEEDED:
            failures_since_success = 0
        elif delivery.status == DeliveryStatus.FAILED and failures_since_success is not None:
            failures_since_success += 1
    failed = sum(delivery.status == DeliveryStatus.FAILED for delivery in finished)
    with transaction.atomic():
        held = WebhookDelivery.objects.filter(status=DeliveryStatus.SENDING)
        update_rows(held, finished, OUTCOME_FIELDS)
        if handed_back:
            held.filter(pk__in=[delivery.pk for delivery in handed_back]).update(
                status=Case(
                    When(attempts=1, then=Value(DeliveryStatus.PENDING)),
                    default=Value(DeliveryStatus.RETRYING),
                ),
                lease_until=None,
                next_attempt_at=timezone.now(),
                attempts=F("attempts") - 1,
            )
        webhooks = Webhook.objects.filter(pk=webhook.pk)
        if failures_since_success not in (None, webhook.consecutive_failures):
            webhooks.update(consecutive_failures=failures_since_success)
        elif failures_since_success is None and failed:
            webhooks.update(consecutive_failures=F("consecutive_failures") + failed)
        if failed:
            _disable_if_failing(webhook.pk)
    for delivery in finished:
        if delivery.status != DeliveryStatus.SUCCEEDED:
            logger.info(
                "webhook_delivery_failed",
                delivery_id=delivery.delivery_id,
                status=delivery.status,
                attempt=delivery.attempts,
                error=delivery.error,
            )
    logger.info(
        "webhook_deliveries_sent",
        webhook_id=webhook.pk,
        succeeded=sum(delivery.status == DeliveryStatus.SUCCEEDED for delivery in finished),
        retrying=sum(delivery.status == DeliveryStatus.RETRYING for delivery in finished),
        failed=failed,
        handed_back=len(handed_back),
    )


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


def sweep_due_deliveries() -> int:
    """Queue a drain for every webhook with deliveries that are due (retries) or whose worker
    died mid-send (the periodic safety net under the queue-on-commit); returns how many."""
    webhook_pks = list(
        WebhookDelivery.objects.filter(_due(timezone.now()))
        .order_by()
        .values_list("webhook_id", flat=True)
        .distinct()
    )
    _enqueue_drains(webhook_pks)
    return len(webhook_pks)


def prune_deliveries(*, older_than_days: int) -> int:
    cutoff = timezone.now() - timedelta(days=older_than_days)
    deleted, _ = WebhookDelivery.objects.filter(
        status__in=[DeliveryStatus.SUCCEEDED, DeliveryStatus.FAILED], created_at__lt=cutoff
    ).delete()
    return deleted


def _enqueue_after_commit(webhook_pks) -> None:
    webhook_pks = sorted(set(webhook_pks))
    transaction.on_commit(lambda: _enqueue_drains(webhook_pks))


def _enqueue_drains(webhook_pks) -> None:
    """One drain waiting per webhook is enough: it sends everything due when it runs."""
    for pk in webhook_pks:
        enqueue_once(DRAIN_TASK, key=_drain_key(pk), args=(pk,))


def _drain_key(webhook_pk: int) -> str:
    return f"webhooks:drain-queued:{webhook_pk}"


def _describe(exc: Exception) -> str:
    if isinstance(exc, InvalidInput):
        return "Refused: " + "; ".join(e["msg"] for e in exc.errors)
    if isinstance(exc, NewConnectionError | ProtocolError | SSLError):
        return "Connection failed."
    if isinstance(exc, urllib3.exceptions.TimeoutError):
        return "Timed out."
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
