"""Telling people about alerts: e-mail, Slack incoming webhooks, signed webhook posts.

``notify`` writes one ``Notification`` per channel of the alert's rule in the caller's
transaction and sends each after the commit; a failed send is retried with backoff by the
periodic sweep (the retry lives on the row, so a lost task loses nothing). A row is claimed
before sending, so two workers never send one notification.
"""

import json
from datetime import timedelta

import structlog
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from alerts.models import (
    Alert,
    ChannelType,
    DeliveryStatus,
    Notification,
    NotificationKind,
    Webhook,
)
from alerts.patterns import receiver_session, validate_receiver_url
from alerts.selectors import organization_admin_emails
from alerts.signing import signed_headers
from core.services import task_for

logger = structlog.get_logger(__name__)

SEND_TASK = "alerts.tasks.send_notification"
MAX_ATTEMPTS = 5
FIRST_RETRY_SECONDS = 60
# A claimed send belongs to its worker this long; after it the sweep takes it over.
LEASE_SECONDS = 120

_session = receiver_session()  # checks the address of every receiver it connects to


class NotificationFailed(Exception):
    """A channel refused or could not be reached."""


def notify(alert: Alert, kind: str) -> list[Notification]:
    rows = Notification.objects.bulk_create(
        [Notification(alert=alert, kind=kind, channel=channel) for channel in alert.rule.channels]
    )
    pks = [row.pk for row in rows]
    transaction.on_commit(lambda: _enqueue(pks))
    return rows


def _enqueue(pks: list[int]) -> None:
    for pk in pks:
        try:
            task_for(SEND_TASK).apply_async(args=[pk], retry=False)
        except Exception as exc:
            logger.warning("notification_not_enqueued", notification=pk, error=str(exc))


def _due() -> Q:
    now = timezone.now()
    return Q(status=DeliveryStatus.PENDING) | Q(
        status__in=[DeliveryStatus.RETRYING, DeliveryStatus.SENDING], next_attempt_at__lte=now
    )


def send(notification_pk: int) -> str | None:
    """Send one notification if it is due and nobody holds it; returns the status it ends in
    (None when there was nothing to do)."""
    claimed = Notification.objects.filter(_due(), pk=notification_pk).update(
        status=DeliveryStatus.SENDING,
        attempts=F("attempts") + 1,
        next_attempt_at=timezone.now() + timedelta(seconds=LEASE_SECONDS),
    )
    if not claimed:
        return None
    notification = Notification.objects.select_related("alert__organization", "alert__rule").get(
        pk=notification_pk
    )
    try:
        _SENDERS[notification.channel["type"]](notification)
    except Exception as exc:
        final = notification.attempts >= MAX_ATTEMPTS
        status = DeliveryStatus.FAILED if final else DeliveryStatus.RETRYING
        delay = FIRST_RETRY_SECONDS * 2 ** (notification.attempts - 1)
        Notification.objects.filter(pk=notification.pk).update(
            status=status,
            error=str(exc)[:500],
            next_attempt_at=None if final else timezone.now() + timedelta(seconds=delay),
        )
        logger.warning("notification_failed", notification=notification.pk, error=str(exc))
        return status
    Notification.objects.filter(pk=notification.pk).update(
        status=DeliveryStatus.SUCCEEDED, sent_at=timezone.now(), error="", next_attempt_at=None
    )
    return DeliveryStatus.SUCCEEDED


def sweep_due_notifications(*, limit: int = 500) -> int:
    """Enqueue notifications due for a retry or whose worker died mid-send."""
    pks = list(
        Notification.objects.filter(_due())
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    _enqueue(pks)
    return len(pks)


def message(notification: Notification) -> tuple[str, str]:
    """Subject and text of a notification (the alert with its context)."""
    alert = notification.alert
    verb = "Resolved" if notification.kind == NotificationKind.RESOLVED else "Alert"
    subject = f"[FleetOps] {verb}: {alert.title}"
    lines = [
        f"{verb}: {alert.title}",
        f"Organization: {alert.organization.name}",
        f"Rule: {alert.rule.name}",
        f"Severity: {alert.severity}",
        f"Events: {alert.event_count} (first {alert.first_event_at:%Y-%m-%d %H:%M} UTC, "
        f"last {alert.last_event_at:%Y-%m-%d %H:%M} UTC)",
    ]
    if alert.resolution:
        lines.append(f"Resolution: {alert.resolution}")
    if settings.SITE_URL:
        lines.append(f"Open: {settings.SITE_URL.rstrip('/')}/admin/alerts/alert/{alert.pk}/change/")
    return subject, "\n".join(lines)


def _send_email(notification: Notification) -> None:
    to = notification.channel.get("to", "admins")
    recipients = (
        organization_admin_emails(notification.alert.organization_id) if to == "admins" else to
    )
    if not recipients:
        logger.info("notification_without_recipients", notification=notification.pk)
        return
    subject, text = message(notification)
    send_mail(subject, text, settings.DEFAULT_FROM_EMAIL, recipients)


def _send_slack(notification: Notification) -> None:
    url = validate_receiver_url(notification.channel["url"], resolve=False)
    _subject, text = message(notification)
    response = _session.post(
        url, json={"text": text}, timeout=settings.WEBHOOK_TIMEOUT_SECONDS, allow_redirects=False
    )
    if not 200 <= response.status_code < 300:
        raise NotificationFailed(f"Slack answered HTTP {response.status_code}.")


def _send_webhook(notification: Notification) -> None:
    alert = notification.alert
    # The rule's own organization's webhook, and only while it is active.
    webhook = Webhook.objects.filter(
        pk=notification.channel["webhook_id"], organization_id=alert.organization_id
    ).first()
    if webhook is None or not webhook.is_active:
        raise NotificationFailed("The webhook is deleted or disabled.")
    url = validate_receiver_url(webhook.url, resolve=False)
    body = json.dumps(
        {
            "event": f"alert.{notification.kind}",
            "timestamp": timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
            "data": {
                "alert_id": alert.pk,
                "title": alert.title,
                "rule": alert.rule.name,
                "event_type": alert.event_type,
                "subject": alert.subject,
                "severity": alert.severity,
                "event_count": alert.event_count,
                "status": alert.status,
            },
        },
        separators=(",", ":"),
    ).encode()
    response = _session.post(
        url,
        data=body,
        headers=signed_headers(
            secret=webhook.secret,
            body=body,
            delivery_id=f"ntf_{notification.pk}",
            event=f"alert.{notification.kind}",
        ),
        timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
        allow_redirects=False,
    )
    if not 200 <= response.status_code < 300:
        raise NotificationFailed(f"The webhook answered HTTP {response.status_code}.")


_SENDERS = {
    ChannelType.EMAIL: _send_email,
    ChannelType.SLACK: _send_slack,
    ChannelType.WEBHOOK: _send_webhook,
}
