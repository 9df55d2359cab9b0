"""SMS to (MT) and from (MO) our SIMs, mirrored from 1NCE.

An MT message we send is written before the upstream call (``submission`` ``queued``) and
marked ``submitted`` with 1NCE's id after it, or ``unknown`` when the call may have gone
through; an unknown one is matched against 1NCE's list of the SIM's messages before the same
message is sent again, so a retry never sends it twice.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


def new_sms_id() -> str:
    return f"sms_{uuid.uuid4().hex[:20]}"


class SmsDirection(models.TextChoices):
    MO = "MO", "Mobile originated"
    MT = "MT", "Mobile terminated"


class SmsStatus(models.TextChoices):
    """Our status, following 1NCE's (PENDING, DELIVERED, FAILED, EXPIRED) plus ``sent`` (a
    delivery was attempted, the device has not taken it yet) and ``cancelled``."""

    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"
    EXPIRED = "expired", "Expired"
    CANCELLED = "cancelled", "Cancelled"


FINAL_STATUSES = frozenset(
    {SmsStatus.DELIVERED, SmsStatus.FAILED, SmsStatus.EXPIRED, SmsStatus.CANCELLED}
)


class SmsEncoding(models.TextChoices):
    GSM7 = "GSM7", "GSM 03.38 7-bit"
    UCS2 = "UCS2", "UCS-2"


class SmsSubmission(models.TextChoices):
    QUEUED = "queued", "Written, not yet sent to 1NCE"
    SUBMITTED = "submitted", "Accepted by 1NCE"
    UNKNOWN = "unknown", "1NCE's answer was lost"


class SmsMessage(models.Model):
    sms_id = models.CharField(verbose_name="SMS ID", max_length=32, unique=True, default=new_sms_id)
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+"
    )
    sim = models.ForeignKey(
        "sims.Sim", verbose_name="SIM", on_delete=models.CASCADE, related_name="sms_messages"
    )
    direction = models.CharField(max_length=2, choices=SmsDirection.choices)
    status = models.CharField(max_length=16, choices=SmsStatus.choices, default=SmsStatus.PENDING)
    encoding = models.CharField(max_length=4, choices=SmsEncoding.choices, default=SmsEncoding.GSM7)
    message = models.TextField()
    source_address = models.CharField(max_length=32, blank=True)
    upstream_id = models.BigIntegerField(verbose_name="1NCE SMS ID", null=True, blank=True)
    submission = models.CharField(
        max_length=16, choices=SmsSubmission.choices, default=SmsSubmission.SUBMITTED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    idempotency_key = models.CharField(max_length=255, blank=True)
    failure_reason = models.CharField(max_length=500, blank=True)
    retry_count = models.PositiveIntegerField(default=0)
    # MO: when the device sent it; MT: when we accepted the request.
    created_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "SMS message"
        verbose_name_plural = "SMS messages"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["sim", "-created_at"]),
            models.Index(fields=["sim", "direction", "-created_at"]),
            models.Index(fields=["status", "direction"]),
            # The console's month of messages per organization.
            models.Index(fields=["organization", "-created_at"], name="sms_org_created"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["sim", "upstream_id"],
                condition=models.Q(upstream_id__isnull=False),
                name="sms_smsmessage_unique_upstream_id",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sms_id} {self.direction} {self.sim_id} ({self.status})"

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES


class SmsSyncState(models.Model):
    """When a SIM's messages were last read from 1NCE (the sync reads the oldest first)."""

    sim = models.OneToOneField(
        "sims.Sim", verbose_name="SIM", on_delete=models.CASCADE, related_name="sms_sync"
    )
    synced_at = models.DateTimeField()

    class Meta:
        verbose_name = "SMS sync state"
        verbose_name_plural = "SMS sync states"
        ordering = ["synced_at", "id"]

    def __str__(self) -> str:
        return f"{self.sim_id} SMS synced {self.synced_at:%Y-%m-%d %H:%M}"
