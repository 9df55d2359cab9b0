"""Webhook subscriptions and their deliveries; alert rules, the alerts they open, notifications.

Everything here starts from a domain event (``core.models.DomainEvent``): a webhook receives
the events it subscribed to, an alert rule groups the events it matches into alerts.
"""

import uuid

from django.conf import settings
from django.db import models

from core.crypto import EncryptedTextField


def new_delivery_id() -> str:
    return f"dlv_{uuid.uuid4().hex}"


class Webhook(models.Model):
    """An organization's HTTPS endpoint and the event types it receives (wildcards allowed)."""

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="webhooks"
    )
    url = models.URLField("URL", max_length=500)
    description = models.CharField(max_length=200, blank=True)
    event_types = models.JSONField(default=list, help_text='Event names or patterns, "quota.*".')
    # Signs every delivery (HMAC-SHA256); shown once when created, stored encrypted.
    secret = EncryptedTextField()
    is_active = models.BooleanField("active", default=True)
    # Consecutive deliveries that exhausted their retries; reset by any success.
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "is_active"])]

    def __str__(self) -> str:
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    RETRYING = "retrying", "Retrying"
    SUCCEEDED = "succeeded", "Delivered"
    FAILED = "failed", "Failed"


class WebhookDelivery(models.Model):
    """One event for one webhook: attempted until the receiver answers 2xx or retries run out.
    ``delivery_id`` is sent with every attempt so the receiver can drop repeats."""

    delivery_id = models.CharField(
        max_length=40, unique=True, default=new_delivery_id, editable=False
    )
    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey("core.DomainEvent", on_delete=models.CASCADE, related_name="+")
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+"
    )
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # A claimed attempt belongs to its worker until then; a later sweep takes it over.
    lease_until = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)
    error = models.CharField(max_length=500, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(fields=["webhook", "event"], name="alerts_delivery_once")
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="alerts_delivery_due",
                condition=models.Q(status__in=["pending", "sending", "retrying"]),
            ),
            models.Index(fields=["webhook", "-created_at"]),
        ]

    def __str__(self) -> str:
        return self.delivery_id


class ChannelType(models.TextChoices):
    EMAIL = "email", "E-mail"
    WEBHOOK = "webhook", "Webhook"
    SLACK = "slack", "Slack"


class AlertRule(models.Model):
    """Which events open alerts, under which conditions, and whom they notify."""

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="alert_rules"
    )
    name = models.CharField(max_length=120)
    event_types = models.JSONField(default=list, help_text='Event names or patterns, "quota.*".')
    # {"sim_tags": [...], "min_severity": "high", "min_threshold": 80}: all must hold.
    conditions = models.JSONField(default=dict, blank=True)
    # [{"type": "email", "to": ["a@b"] or "admins"}, {"type": "slack", "url": ...},
    #  {"type": "webhook", "webhook_id": 3}]
    channels = models.JSONField(default=list)
    # Repeated events of one subject within the window join the open alert.
    dedup_window_minutes = models.PositiveIntegerField(default=60)
    # Notify only once the condition has lasted this long (connectivity lost for 15 minutes).
    notify_after_minutes = models.PositiveIntegerField(default=0)
    # No second notification of one subject within this period, even for a new alert.
    quiet_period_minutes = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField("active", default=True)
    is_default = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="alerts_rule_name")
        ]

    def __str__(self) -> str:
        return self.name


class AlertStatus(models.TextChoices):
    PENDING = "pending", "Pending"  # waiting out the rule's notify_after
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"


class Alert(models.Model):
    """Events of one rule and one subject, grouped: notified once when it opens and once
    when it resolves, however many events join it."""

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="alerts"
    )
    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="alerts")
    subject = models.CharField(max_length=128)
    event_type = models.CharField(max_length=64)
    title = models.CharField(max_length=300)
    severity = models.CharField(max_length=16, default="warning")
    status = models.CharField(
        max_length=16, choices=AlertStatus.choices, default=AlertStatus.OPEN, db_index=True
    )
    event_count = models.PositiveIntegerField(default=1)
    first_event_at = models.DateTimeField()
    last_event_at = models.DateTimeField()
    notify_at = models.DateTimeField(null=True, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution = models.CharField(max_length=200, blank=True)
    events = models.ManyToManyField("core.DomainEvent", related_name="+", blank=True)

    class Meta:
        ordering = ["-last_event_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "status", "-last_event_at"]),
            models.Index(fields=["rule", "subject", "status"]),
        ]

    def __str__(self) -> str:
        return self.title


class NotificationKind(models.TextChoices):
    OPENED = "opened", "Opened"
    RESOLVED = "resolved", "Resolved"


class Notification(models.Model):
    """One message about an alert on one channel, sent by a task with retries."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=16, choices=NotificationKind.choices)
    channel = models.JSONField()
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.channel.get('type', '')} for alert {self.alert_id}"
