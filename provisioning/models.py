"""PMNL provisioning: accounts per organization, the subscriber mirror, the requests we sent,
their events, and which customer ids (cust_id) each user may provision."""

import uuid

from django.conf import settings
from django.db import models

from core.crypto import EncryptedTextField
from upstream.pmnl import PmnlCredentials

PMNL_DEFAULT_TOKEN_URL = "https://auth.api.pmfactory.eu/oauth2/token"  # noqa: S105 (a URL)


class PmnlAccount(models.Model):
    """An organization's own PMNL account. Without one, an organization reaches PMNL only if
    it owns the default account from settings (``PMNL_DEFAULT_ORGANIZATION``). The client
    secret and the API key are stored encrypted (``core.crypto``) and never shown."""

    organization = models.OneToOneField(
        "accounts.Organization", on_delete=models.CASCADE, related_name="pmnl_account"
    )
    base_url = models.URLField(max_length=300)
    token_url = models.URLField(max_length=300, default=PMNL_DEFAULT_TOKEN_URL)
    client_id = models.CharField(max_length=200)
    client_secret = EncryptedTextField()
    api_key = EncryptedTextField()
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["organization__name", "id"]
        verbose_name = "PMNL account"
        verbose_name_plural = "PMNL accounts"

    def __str__(self) -> str:
        return f"PMNL account {self.client_id} ({self.organization})"

    def credentials(self) -> PmnlCredentials:
        return PmnlCredentials(
            base_url=self.base_url,
            token_url=self.token_url,
            client_id=self.client_id,
            client_secret=self.client_secret,
            api_key=self.api_key,
        )


class Subscriber(models.Model):
    """Our mirror of a PMNL subscriber this organization provisioned (or read). The AOR
    password is never kept."""

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="subscribers"
    )
    iccid = models.CharField(max_length=20, unique=True)
    msisdn = models.CharField(max_length=13, unique=True)
    imsi = models.CharField(max_length=15, blank=True)
    cust_id = models.CharField(max_length=7, db_index=True)
    admin_info = models.CharField(max_length=24, blank=True)
    subscriber_state = models.BooleanField(default=True)
    aor_domain_id = models.PositiveIntegerField(null=True, blank=True)
    aor_username = models.CharField(max_length=17, blank=True)
    apn = models.JSONField(null=True, blank=True)
    network_access_list = models.JSONField(default=dict)
    block_data_usage = models.JSONField(null=True, blank=True)
    service_package = models.PositiveIntegerField(null=True, blank=True)
    service_profile = models.PositiveSmallIntegerField(null=True, blank=True)
    duration = models.PositiveSmallIntegerField(null=True, blank=True)
    contract_start = models.DateTimeField(null=True, blank=True)
    max_credit = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    synced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["iccid"]
        indexes = [models.Index(fields=["organization", "iccid"])]

    def __str__(self) -> str:
        return f"{self.iccid} ({self.msisdn})"


class Operation(models.TextChoices):
    """Seed 003's audit operation codes."""

    CREATE = "CREATE"
    READ = "READ"
    UPDATE_AOR = "UPDATE_AOR"
    UPDATE_STATE = "UPDATE_STATE"
    UPDATE_APN = "UPDATE_APN"
    UPDATE_NETWORK_ACCESS_LIST = "UPDATE_NETWORK_ACCESS_LIST"
    UPDATE_CREDIT = "UPDATE_CREDIT"
    UPDATE_BLOCK_DATA_USAGE = "UPDATE_BLOCK_DATA_USAGE"
    DELETE = "DELETE"


class RequestStatus(models.TextChoices):
    QUEUED = "queued"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    ENRICHED = "enriched"


TERMINAL_STATUSES = (RequestStatus.COMPLETED, RequestStatus.FAILED, RequestStatus.ENRICHED)


class ProvisioningRequest(models.Model):
    """One write we sent to PMNL: its progress and outcome. A queued one is polled by its task
    and by the beat job until terminal."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="provisioning_requests"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    operation = models.CharField(max_length=32, choices=Operation.choices)
    iccid = models.CharField(max_length=20, db_index=True)
    msisdn = models.CharField(max_length=13, blank=True)
    cust_id = models.CharField(max_length=7, blank=True)
    queued = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=RequestStatus.choices, db_index=True)
    # PMNL's null (not reported yet) is kept apart from an empty string.
    progress = models.CharField(max_length=16, null=True, blank=True)  # noqa: DJ001
    request_info = models.CharField(max_length=500, null=True, blank=True)  # noqa: DJ001
    upstream_request_id = models.CharField(max_length=64, blank=True, db_index=True)
    upstream_status = models.CharField(max_length=16, blank=True)
    error_message = models.CharField(max_length=500, blank=True)
    polls = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.operation} {self.iccid} ({self.status})"

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES


class ProvisioningEventKind(models.TextChoices):
    REQUEST_COMPLETED = "provisioning.request_completed"
    REQUEST_FAILED = "provisioning.request_failed"


class ProvisioningEvent(models.Model):
    """A domain event, written in the transaction of the change that caused it; an alerting
    publisher reads the unpublished ones (``provisioning.events``) and marks them."""

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+"
    )
    request = models.ForeignKey(
        ProvisioningRequest, on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(max_length=64, choices=ProvisioningEventKind.choices)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # A request ends once: its terminal event is never written twice.
            models.UniqueConstraint(fields=["request", "kind"], name="provisioning_event_once")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.request_id}"


class CustomerAuthorization(models.Model):
    """A user may provision subscribers of this customer id (an organization admin maps it)."""

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="customer_authorizations"
    )
    cust_id = models.CharField(max_length=7)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["cust_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "cust_id"], name="customer_authorization_once")
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.cust_id}"
