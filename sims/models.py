"""SIM inventory mirror and the 1NCE accounts organizations connect."""

from django.db import models

from core.crypto import EncryptedTextField
from upstream.onence.models import OnenceCredentials

ONENCE_DEFAULT_BASE_URL = "https://api.1nce.com/management-api"


class OnenceAccount(models.Model):
    """An organization's own 1NCE API account. Without one, an organization reaches 1NCE only
    if it owns the default account from settings (``ONENCE_DEFAULT_ORGANIZATION``).

    The client secret is stored encrypted (``core.crypto``) and never shown.
    """

    organization = models.OneToOneField(
        "accounts.Organization", on_delete=models.CASCADE, related_name="onence_account"
    )
    base_url = models.URLField(
        verbose_name="base URL", max_length=300, default=ONENCE_DEFAULT_BASE_URL
    )
    client_id = models.CharField(verbose_name="client ID", max_length=200)
    client_secret = EncryptedTextField()
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["organization__name", "id"]
        verbose_name = "1NCE account"
        verbose_name_plural = "1NCE accounts"

    def __str__(self) -> str:
        return f"1NCE account {self.client_id} ({self.organization})"

    def credentials(self) -> OnenceCredentials:
        return OnenceCredentials(
            base_url=self.base_url, client_id=self.client_id, client_secret=self.client_secret
        )


class SimStatus(models.TextChoices):
    """1NCE's SIM states, spelled as 1NCE and seed 001 spell them."""

    ENABLED = "Enabled", "Enabled"
    DISABLED = "Disabled", "Disabled"
    EXPIRED = "Expired", "Expired"
    SUSPENDED = "Suspended", "Suspended"


class Sim(models.Model):
    """Our mirror of one 1NCE SIM, plus what only FleetOps keeps (tags, metadata)."""

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="sims"
    )
    iccid = models.CharField(
        verbose_name="ICCID", max_length=19, unique=True, help_text="19 digits, no Luhn digit."
    )
    iccid_with_luhn = models.CharField(
        verbose_name="ICCID with check digit", max_length=20, blank=True, db_index=True
    )
    imsi = models.CharField(verbose_name="IMSI", max_length=15, blank=True, db_index=True)
    imsi_2 = models.CharField(verbose_name="IMSI 2", max_length=15, blank=True)
    current_imsi = models.CharField(verbose_name="current IMSI", max_length=15, blank=True)
    msisdn = models.CharField(verbose_name="MSISDN", max_length=15, blank=True, db_index=True)
    imei = models.CharField(verbose_name="IMEI", max_length=16, blank=True, db_index=True)
    imei_lock = models.BooleanField(verbose_name="IMEI lock", default=False)
    status = models.CharField(max_length=16, choices=SimStatus.choices, default=SimStatus.ENABLED)
    label = models.CharField(max_length=200, blank=True)
    ip_address = models.GenericIPAddressField(
        verbose_name="IP address", protocol="IPv4", null=True, blank=True
    )
    ipv6_address = models.GenericIPAddressField(
        verbose_name="IPv6 address", protocol="IPv6", null=True, blank=True
    )
    activation_date = models.DateTimeField(null=True, blank=True)
    tags = models.JSONField(default=list, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    site = models.ForeignKey(
        "sites.Site", on_delete=models.SET_NULL, null=True, blank=True, related_name="sims"
    )
    current_rat = models.CharField(verbose_name="RAT", max_length=16, blank=True)
    current_country = models.CharField(verbose_name="country", max_length=64, blank=True)
    current_operator = models.CharField(verbose_name="operator", max_length=128, blank=True)
    data_quota_remaining_bytes = models.BigIntegerField(
        verbose_name="data left (bytes)", null=True, blank=True
    )
    data_quota_total_bytes = models.BigIntegerField(
        verbose_name="data quota (bytes)", null=True, blank=True
    )
    sms_quota_remaining = models.IntegerField(verbose_name="SMS left", null=True, blank=True)
    sms_quota_total = models.IntegerField(verbose_name="SMS quota", null=True, blank=True)
    last_synced_at = models.DateTimeField(verbose_name="last synced", null=True, blank=True)
    # When the usage sync last read this SIM's usage; the least recent go first.
    usage_synced_at = models.DateTimeField(verbose_name="usage last read", null=True, blank=True)
    # Set when a full sync no longer finds the SIM upstream; cleared when it reappears.
    missing_upstream_since = models.DateTimeField(
        verbose_name="gone from 1NCE since", null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "SIM"
        verbose_name_plural = "SIMs"
        ordering = ["-created_at", "-id"]
        # Every sort the API offers ends with the primary key (a stable page order), so each
        # index does too: the database then walks the index instead of sorting the fleet.
        indexes = [
            models.Index(fields=["organization", "-created_at", "-id"]),
            models.Index(fields=["organization", "status", "-created_at", "-id"]),
            models.Index(fields=["organization", "label", "id"]),
            models.Index(fields=["organization", "activation_date", "id"]),
            models.Index(fields=["organization", "last_synced_at", "id"]),
            models.Index(fields=["organization", "status", "id"]),
            # The superuser's list (every organization, newest first) and the dashboard's
            # "gone from 1NCE" count (a handful of rows among the fleet).
            models.Index(fields=["-created_at", "-id"], name="sims_sim_newest"),
            models.Index(
                fields=["organization"],
                condition=models.Q(missing_upstream_since__isnull=False),
                name="sims_sim_missing",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.iccid} {self.label}".strip()

    @property
    def is_enabled(self) -> bool:
        return self.status == SimStatus.ENABLED


class EventType(models.TextChoices):
    SIM_ACTIVATED = "sim_activated", "SIM activated"
    SIM_SUSPENDED = "sim_suspended", "SIM suspended"
    SIM_TERMINATED = "sim_terminated", "SIM terminated"
    QUOTA_THRESHOLD_REACHED = "quota_threshold_reached", "Quota threshold reached"
    CONNECTIVITY_LOST = "connectivity_lost", "Connectivity lost"
    CONNECTIVITY_RESTORED = "connectivity_restored", "Connectivity restored"
    CONFIGURATION_CHANGED = "configuration_changed", "Configuration changed"
    CONNECTIVITY_RESET = "connectivity_reset", "Connectivity reset requested"
    STATUS_CHANGED = "status_changed", "Status changed"
    SIM_MISSING = "sim_missing", "SIM missing upstream"
    QUOTA_TOPPED_UP = "quota_topped_up", "Quota topped up"
    SMS_RECEIVED = "sms_received", "SMS received"
    USAGE_SYNC_FAILED = "usage_sync_failed", "Usage sync failed"
    LIMIT_APPROACHED = "limit_approached", "Limit approached"
    UPSTREAM_EVENT = "upstream_event", "1NCE event"


class EventCategory(models.TextChoices):
    LIFECYCLE = "lifecycle", "Lifecycle"
    QUOTA = "quota", "Quota"
    CONNECTIVITY = "connectivity", "Connectivity"
    CONFIGURATION = "configuration", "Configuration"
    NETWORK = "network", "Network"
    MESSAGING = "messaging", "Messaging"
    SYNC = "sync", "Sync"


class Severity(models.TextChoices):
    INFO = "info", "Info"
    WARNING = "warning", "Warning"
    CRITICAL = "critical", "Critical"


class EventSource(models.TextChoices):
    ONENCE = "1nce", "1NCE"
    FLEETOPS = "fleetops", "FleetOps"


class SimEvent(models.Model):
    """Something that happened to a SIM: 1NCE's events merged with our own.

    Written in the same transaction as the change that caused it; alert rules read from here.
    """

    sim = models.ForeignKey(
        Sim, verbose_name="SIM", on_delete=models.CASCADE, related_name="events"
    )
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+"
    )
    event_type = models.CharField(max_length=32, choices=EventType.choices)
    category = models.CharField(max_length=16, choices=EventCategory.choices)
    severity = models.CharField(max_length=16, choices=Severity.choices, default=Severity.INFO)
    source = models.CharField(max_length=16, choices=EventSource.choices)
    # 1NCE's own event id, so a re-fetched upstream event is stored once.
    upstream_id = models.CharField(verbose_name="1NCE event id", max_length=64, blank=True)
    description = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)
    occurred_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "SIM event"
        verbose_name_plural = "SIM events"
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["sim", "-occurred_at"]),
            models.Index(fields=["organization", "event_type", "-occurred_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["sim", "upstream_id"],
                condition=~models.Q(upstream_id=""),
                name="sims_simevent_unique_upstream_id",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sim_id} {self.event_type} @ {self.occurred_at:%Y-%m-%d %H:%M}"


class ConnectivitySnapshot(models.Model):
    """One live connectivity reading, kept for the time series and as the fallback when 1NCE
    is down."""

    sim = models.ForeignKey(
        Sim, verbose_name="SIM", on_delete=models.CASCADE, related_name="connectivity_snapshots"
    )
    connected = models.BooleanField()
    details = models.JSONField(default=dict)
    taken_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = "connectivity reading"
        verbose_name_plural = "connectivity readings"
        ordering = ["-taken_at", "-id"]
        # The newest reading per SIM (DISTINCT ON sim ORDER BY sim, -taken_at, -id) walks this
        # index alone, connected included: no sort and no row lookups over the fleet.
        indexes = [
            models.Index(
                fields=["sim", "-taken_at", "-id"],
                include=["connected"],
                name="sims_snapshot_newest",
            )
        ]

    def __str__(self) -> str:
        return f"{self.sim_id} {'up' if self.connected else 'down'} @ {self.taken_at}"


class ResetStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"


class ConnectivityReset(models.Model):
    sim = models.ForeignKey(
        Sim, verbose_name="SIM", on_delete=models.CASCADE, related_name="resets"
    )
    requested_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        max_length=16, choices=ResetStatus.choices, default=ResetStatus.PENDING
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    expected_completion = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = "connectivity reset"
        verbose_name_plural = "connectivity resets"
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"reset {self.sim_id} ({self.status})"


class LimitSet(models.Model):
    """Usage limits: the organization's global set (``sim`` empty) or one SIM's overrides.

    Empty values inherit: a SIM's limit falls back to the organization's.
    """

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="limit_sets"
    )
    sim = models.OneToOneField(
        Sim,
        null=True,
        blank=True,
        verbose_name="SIM",
        on_delete=models.CASCADE,
        related_name="limits",
    )
    # Seed 001 section 6 names; data in bytes. Empty on a SIM: the organization's value.
    daily_data_limit = models.BigIntegerField(
        verbose_name="daily data limit (bytes)", null=True, blank=True
    )
    monthly_data_limit = models.BigIntegerField(
        verbose_name="monthly data limit (bytes)", null=True, blank=True
    )
    daily_sms_limit = models.IntegerField(verbose_name="daily SMS limit", null=True, blank=True)
    monthly_sms_limit = models.IntegerField(verbose_name="monthly SMS limit", null=True, blank=True)
    enforce_limits = models.BooleanField(null=True, blank=True)
    # MSISDN prefixes (E.164 digits, no "+"): a SIM may send SMS only to allowed ones (when
    # the list is non-empty) and never to blocked ones.
    sms_allowed_destinations = models.JSONField(
        verbose_name="SMS allowed destinations", default=list, blank=True
    )
    sms_blocked_destinations = models.JSONField(
        verbose_name="SMS blocked destinations", default=list, blank=True
    )
    alert_threshold_percent = models.PositiveSmallIntegerField(
        verbose_name="alert threshold (%)", null=True, blank=True
    )
    upstream_synced_at = models.DateTimeField(verbose_name="pushed to 1NCE", null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "usage limits"
        verbose_name_plural = "usage limits"
        ordering = ["organization", "sim", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization"],
                condition=models.Q(sim__isnull=True),
                name="sims_limitset_one_global_per_org",
            ),
        ]

    def __str__(self) -> str:
        return f"limits {self.sim_id or 'global'} ({self.organization_id})"


class OrderStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PLACED = "placed", "Placed"
    FAILED = "failed", "Failed"


class Order(models.Model):
    """An order placed with 1NCE (SIMs, top-ups), with what we computed and what 1NCE said."""

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="orders"
    )
    created_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    order_number = models.CharField(max_length=64, blank=True, db_index=True)
    order_type = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=16, choices=OrderStatus.choices)
    upstream_status = models.CharField(verbose_name="1NCE status", max_length=64, blank=True)
    items = models.JSONField(default=list)
    total_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    upstream_payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "1NCE order"
        verbose_name_plural = "1NCE orders"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"order {self.order_number or self.pk} ({self.status})"
