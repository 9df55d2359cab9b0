"""State of the PMNL v5 simulator: accounts, tokens, subscribers, user requests, faults."""

import uuid

from django.db import models


class PmnlSimAccount(models.Model):
    """A PMNL customer: OAuth2 client credentials, an API key, and its subscribers."""

    client_id = models.CharField(max_length=200, unique=True)
    client_secret = models.CharField(max_length=200)
    api_key = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["client_id"]
        verbose_name = "PMNL simulator account"

    def __str__(self) -> str:
        return self.client_id


class PmnlSimToken(models.Model):
    account = models.ForeignKey(PmnlSimAccount, on_delete=models.CASCADE, related_name="tokens")
    token = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-expires_at"]

    def __str__(self) -> str:
        return f"token of {self.account_id}"


class PmnlSimSubscriber(models.Model):
    account = models.ForeignKey(
        PmnlSimAccount, on_delete=models.CASCADE, related_name="subscribers"
    )
    iccid = models.CharField(max_length=20)
    msisdn = models.CharField(max_length=13)
    imsi = models.CharField(max_length=15)
    data = models.JSONField()  # seed 003's SubscriberReadResource ``data`` (without imsi)
    updated_at = models.DateTimeField(auto_now=True)
    last_read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["iccid"]
        constraints = [
            models.UniqueConstraint(fields=["account", "iccid"], name="pmnl_sim_unique_iccid"),
            models.UniqueConstraint(fields=["account", "msisdn"], name="pmnl_sim_unique_msisdn"),
        ]

    def __str__(self) -> str:
        return self.iccid


class PmnlSimRequestStatus(models.TextChoices):
    QUEUED = "queued"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"


class PmnlSimRequest(models.Model):
    """A user request: queued, then processing, then completed (or failed) as time passes."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    account = models.ForeignKey(PmnlSimAccount, on_delete=models.CASCADE, related_name="requests")
    operation = models.CharField(max_length=32)
    payload = models.JSONField(default=dict)
    status = models.CharField(
        max_length=16, choices=PmnlSimRequestStatus.choices, default=PmnlSimRequestStatus.QUEUED
    )
    reason = models.CharField(max_length=200, blank=True)
    processing_at = models.DateTimeField()  # when it leaves the queue
    done_at = models.DateTimeField()  # when it is applied (completed or failed)
    fail = models.BooleanField(default=False)  # decided at submission (fault share)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.operation} {self.status}"


class PmnlSimFault(models.Model):
    """Faults of one account (or of all, ``account`` empty).

    ``mode``: ``refused`` answers every call at once with 503 as a PMNL front that refuses
    connections would make our client see it; ``timeout`` sleeps ``hang_seconds`` before
    answering; ``error`` answers ``error_status``. ``paths`` limits it to paths containing one
    of its comma-separated parts. ``queue_seconds`` / ``process_seconds`` set how long a
    queued request waits and runs; ``fail_rate`` the share of queued requests that fail.
    """

    account = models.OneToOneField(
        PmnlSimAccount, null=True, blank=True, on_delete=models.CASCADE, related_name="fault"
    )
    mode = models.CharField(max_length=16, blank=True)  # "", refused, timeout, error
    error_status = models.PositiveSmallIntegerField(default=500)
    hang_seconds = models.FloatField(default=0.0)
    paths = models.CharField(max_length=300, blank=True)
    queue_seconds = models.FloatField(default=0.5)
    process_seconds = models.FloatField(default=1.0)
    fail_rate = models.FloatField(default=0.0)
    token_ttl_seconds = models.PositiveIntegerField(default=3600)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.mode or "timings"


class PmnlSimRequestLog(models.Model):
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=512)
    status = models.PositiveSmallIntegerField()
    client_id = models.CharField(max_length=200, blank=True)
    fault = models.CharField(max_length=16, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.method} {self.path} {self.status}"
