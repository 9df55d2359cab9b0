"""Quotas mirrored from 1NCE, top-up transactions and auto top-up rules.

A top-up is a ``TopUp`` (what was asked: one SIM, a quota type, a volume that is a whole number
of 1NCE packages) and one ``TopUpOrder`` per package, i.e. per upstream call. Each order row is
written ``pending`` before its call and settled after it; one whose outcome is unclear stays
``unknown`` until it is reconciled against 1NCE's orders, so no package is ever paid twice.
"""

import uuid

from django.conf import settings
from django.db import models

from core.humanize import human_bytes, human_count


def new_transaction_id() -> str:
    return f"topup_{uuid.uuid4().hex[:20]}"


class QuotaType(models.TextChoices):
    DATA = "data", "Data"
    SMS = "sms", "SMS"


class QuotaStatus(models.TextChoices):
    """Seed 001 spells the quota status in title case; 1NCE says ACTIVE/EXHAUSTED/EXPIRED."""

    ACTIVE = "Active", "Active"
    EXHAUSTED = "Exhausted", "Exhausted"
    EXPIRED = "Expired", "Expired"
    UNKNOWN = "Unknown", "Unknown"


class Quota(models.Model):
    """Our mirror of one SIM's data or SMS quota (data in bytes, SMS in messages).

    ``threshold_crossed_at`` remembers that usage went past the SIM's threshold, so the event
    and any auto top-up happen once per crossing; it is cleared when usage falls back below.
    """

    sim = models.ForeignKey(
        "sims.Sim", verbose_name="SIM", on_delete=models.CASCADE, related_name="quotas"
    )
    quota_type = models.CharField(max_length=8, choices=QuotaType.choices)
    volume = models.BigIntegerField(null=True, blank=True, help_text="Total of the current quota.")
    remaining = models.BigIntegerField(null=True, blank=True)
    last_volume_added = models.BigIntegerField(null=True, blank=True)
    accumulated_volume = models.BigIntegerField(null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=QuotaStatus.choices, default=QuotaStatus.UNKNOWN
    )
    # 1NCE's own notification threshold: percent *remaining* (20 means "20% left").
    upstream_threshold_percentage = models.PositiveSmallIntegerField(
        verbose_name="1NCE threshold (% left)", null=True, blank=True
    )
    expiry_date = models.DateTimeField(null=True, blank=True)
    last_status_change_date = models.DateTimeField(null=True, blank=True)
    threshold_crossed_at = models.DateTimeField(null=True, blank=True)
    # When the quota ran out; cleared when it has volume again (one quota.depleted each time).
    depleted_at = models.DateTimeField(null=True, blank=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["sim", "quota_type"]
        constraints = [
            models.UniqueConstraint(fields=["sim", "quota_type"], name="quotas_quota_unique_type"),
        ]

    def __str__(self) -> str:
        unit = human_bytes if self.quota_type == QuotaType.DATA else human_count
        return (
            f"{self.get_quota_type_display()} quota: {unit(self.remaining)} left of "
            f"{unit(self.volume)}"
        )

    @property
    def used(self) -> int | None:
        if self.volume is None or self.remaining is None:
            return None
        return self.volume - self.remaining

    @property
    def percentage_used(self) -> float | None:
        if not self.volume or self.used is None:
            return None
        return round(self.used * 100 / self.volume, 1)


class TopUpStatus(models.TextChoices):
    PROCESSING = "processing", "Processing"
    COMPLETED = "completed", "Completed"
    # Some packages were applied, others definitely failed.
    PARTIAL = "partial", "Partially completed"
    FAILED = "failed", "Failed"
    # At least one package's outcome is not known yet; reconciled before anything else.
    UNKNOWN = "unknown", "Outcome unknown"


class TopUpSource(models.TextChoices):
    API = "api", "API"
    BULK = "bulk", "Bulk job"
    AUTO = "auto", "Auto top-up"
    ADMIN = "admin", "Admin"


class TopUp(models.Model):
    """One top-up transaction: ``packages`` 1NCE packages for one SIM."""

    transaction_id = models.CharField(
        verbose_name="transaction ID", max_length=32, unique=True, default=new_transaction_id
    )
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+"
    )
    sim = models.ForeignKey(
        "sims.Sim", verbose_name="SIM", on_delete=models.PROTECT, related_name="topups"
    )
    quota_type = models.CharField(max_length=8, choices=QuotaType.choices)
    volume = models.BigIntegerField(help_text="Requested volume: bytes of data or SMS.")
    packages = models.PositiveIntegerField()
    status = models.CharField(
        max_length=16, choices=TopUpStatus.choices, default=TopUpStatus.PROCESSING
    )
    source = models.CharField(max_length=8, choices=TopUpSource.choices, default=TopUpSource.API)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What lets a retry resume this transaction instead of starting another one.
    idempotency_key = models.CharField(max_length=255, blank=True)
    job_item = models.OneToOneField(
        "core.JobItem", null=True, blank=True, on_delete=models.SET_NULL, related_name="topup"
    )
    new_total = models.BigIntegerField(null=True, blank=True)
    new_remaining = models.BigIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "top-up"
        verbose_name_plural = "top-ups"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["sim", "-created_at"]),
            models.Index(fields=["organization", "-created_at"]),
            models.Index(fields=["sim", "idempotency_key"]),
        ]

    def __str__(self) -> str:
        return f"Top-up {self.transaction_id} ({self.get_status_display().lower()})"

    @property
    def completed_packages(self) -> int:
        return sum(1 for order in self.orders.all() if order.status == TopUpOrderStatus.COMPLETED)


class TopUpOrderStatus(models.TextChoices):
    PENDING = "pending", "Pending"  # written before the upstream call
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"  # definitely not applied
    # The call may have been applied: never repeated; settled against 1NCE's orders (found:
    # completed; still nothing TOPUP_SETTLE_SECONDS after the call: failed).
    UNKNOWN = "unknown", "Unknown"


class TopUpOrder(models.Model):
    """One upstream top-up call (one package) and the 1NCE order it created."""

    topup = models.ForeignKey(TopUp, on_delete=models.CASCADE, related_name="orders")
    sim = models.ForeignKey(
        "sims.Sim", verbose_name="SIM", on_delete=models.PROTECT, related_name="+"
    )
    sequence = models.PositiveSmallIntegerField()
    status = models.CharField(
        max_length=16, choices=TopUpOrderStatus.choices, default=TopUpOrderStatus.PENDING
    )
    order_number = models.CharField(verbose_name="1NCE order number", max_length=64, blank=True)
    error = models.TextField(blank=True)
    sent_at = models.DateTimeField()
    settled_at = models.DateTimeField(null=True, blank=True)
    # When 1NCE's orders were last read for this open call (interactive retries reuse a read
    # this recent instead of spending 1NCE's order-list budget again).
    checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "top-up call"
        verbose_name_plural = "top-up calls"
        ordering = ["topup", "sequence", "id"]
        constraints = [
            # A package slot is used once; a retry of a failed one reuses the row.
            models.UniqueConstraint(fields=["topup", "sequence"], name="quotas_topuporder_seq"),
            models.UniqueConstraint(
                fields=["order_number"],
                condition=~models.Q(order_number=""),
                name="quotas_topuporder_unique_order",
            ),
        ]
        indexes = [models.Index(fields=["sim", "status"])]

    def __str__(self) -> str:
        return f"{self.topup_id}#{self.sequence} {self.order_number or '-'} ({self.status})"


class AutoTopUpRule(models.Model):
    """Top a SIM up by ``topup_amount`` when ``threshold_percentage`` of a quota is used."""

    sim = models.ForeignKey(
        "sims.Sim", verbose_name="SIM", on_delete=models.CASCADE, related_name="auto_topup_rules"
    )
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+"
    )
    quota_type = models.CharField(max_length=8, choices=QuotaType.choices)
    threshold_percentage = models.PositiveSmallIntegerField()
    topup_amount = models.BigIntegerField()
    enabled = models.BooleanField(default=True)
    last_topup = models.ForeignKey(
        TopUp, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_triggered_at = models.DateTimeField(null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "auto top-up rule"
        verbose_name_plural = "auto top-up rules"
        ordering = ["organization", "sim", "quota_type"]
        constraints = [
            models.UniqueConstraint(fields=["sim", "quota_type"], name="quotas_autorule_unique"),
        ]
        indexes = [models.Index(fields=["enabled", "organization"])]

    def __str__(self) -> str:
        state = "on" if self.enabled else "off"
        kind = self.get_quota_type_display().lower()
        return f"Auto top-up of {kind} at {self.threshold_percentage} % used ({state})"
