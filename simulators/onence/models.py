"""State of the 1NCE simulator: accounts, tokens, SIMs, usage, SMS, events, orders, faults.

Data volumes are kept as integers in bytes (1 MB = 1,048,576 bytes, as the v2 contract says);
usage accrues in 16 KiB blocks (``formats.DATA_QUANTUM``), which print exactly in the
contract's six-decimal MB.
"""

from django.db import models
from django.db.models import Value
from django.db.models.functions import Coalesce


class OnenceSimStatus(models.TextChoices):
    ENABLED = "Enabled", "Enabled"
    DISABLED = "Disabled", "Disabled"


class OnenceConnectivity(models.TextChoices):
    ONLINE = "ONLINE", "Online"
    ATTACHED = "ATTACHED", "Attached"
    OFFLINE = "OFFLINE", "Offline"
    BLOCKED = "BLOCKED", "Blocked"


class OnenceEventType(models.IntegerChoices):
    UPDATE_LOCATION = 1, "Update location"
    CREATE_PDP_CONTEXT = 3, "Create PDP Context"
    DELETE_PDP_CONTEXT = 4, "Delete PDP Context"
    SIM_ACTIVATED = 10, "SIM activated"
    SIM_STATUS_CHANGED = 11, "SIM status changed"
    CONNECTIVITY_RESET = 12, "Connectivity reset"
    QUOTA_THRESHOLD = 20, "Quota threshold reached"
    QUOTA_EXHAUSTED = 21, "Quota exhausted"
    QUOTA_TOPPED_UP = 22, "Quota topped up"
    SIM_EXTENDED = 23, "SIM extended"


class OnenceEventSeverity(models.IntegerChoices):
    INFO = 0, "INFO"
    WARN = 1, "WARN"
    CRITICAL = 2, "CRITICAL"


class OnenceEventSource(models.IntegerChoices):
    NETWORK = 0, "Network"
    POLICY = 1, "Policy Control"
    API = 2, "API"


class OnenceSmsStatus(models.IntegerChoices):
    """The contract's SMS status ids; ``CANCELLED`` is ours and never leaves the simulator."""

    PENDING = 2, "PENDING"
    DELIVERED = 4, "DELIVERED"
    FAILED = 5, "FAILED"
    EXPIRED = 6, "EXPIRED"
    CANCELLED = 99, "CANCELLED"


class OnenceSmsType(models.IntegerChoices):
    MT = 1, "MT"
    MO = 2, "MO"


class OnenceOrderType(models.TextChoices):
    FIRST_ORDER = "FIRST_ORDER", "First order"
    ADDITIONAL_ORDER = "ADDITIONAL_ORDER", "Additional order"
    TOPUP = "TOPUP", "Top-up"
    BULK_TOPUP = "BULK_TOPUP", "Bulk top-up"
    TARIFF_CHANGE = "TARIFF_CHANGE", "Tariff change"


class OnenceOrderStatus(models.TextChoices):
    IN_PROGRESS = "IN_PROGRESS", "In progress"
    COMPLETED = "COMPLETED", "Completed"


class OnenceAccount(models.Model):
    """A 1NCE customer: one pair of API credentials and the SIMs, orders and limits it owns."""

    client_id = models.CharField(max_length=128, unique=True)
    client_secret = models.CharField(max_length=256)
    data_limit_id = models.PositiveSmallIntegerField(default=7)
    sms_mt_limit_id = models.PositiveSmallIntegerField(default=5)
    sms_mo_limit_id = models.PositiveSmallIntegerField(default=5)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "simulated 1NCE account"
        verbose_name_plural = "simulated 1NCE accounts"
        ordering = ["client_id"]

    def __str__(self) -> str:
        return self.client_id


class OnenceToken(models.Model):
    key = models.CharField(max_length=64, unique=True)
    account = models.ForeignKey(OnenceAccount, on_delete=models.CASCADE, related_name="tokens")
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-issued_at"]

    def __str__(self) -> str:
        return f"{self.key[:8]}... ({self.account})"


class OnenceSim(models.Model):
    account = models.ForeignKey(OnenceAccount, on_delete=models.CASCADE, related_name="sims")
    iccid = models.CharField(max_length=19, unique=True)
    iccid_with_luhn = models.CharField(max_length=20)
    imsi = models.CharField(max_length=15)
    imsi_2 = models.CharField(max_length=15)
    msisdn = models.CharField(max_length=15)
    imei = models.CharField(max_length=15)
    imei_lock = models.BooleanField(default=False)
    status = models.CharField(
        max_length=8, choices=OnenceSimStatus.choices, default=OnenceSimStatus.ENABLED
    )
    label = models.CharField(max_length=255, blank=True)
    ip_address = models.CharField(max_length=15)
    activation_date = models.DateTimeField()
    # End of the SIM's lifetime: after it the SIM is expired and only an extension may change it.
    expiry_date = models.DateTimeField()

    data_volume = models.BigIntegerField(help_text="Remaining data in bytes; may go negative.")
    data_total_volume = models.BigIntegerField()
    data_accumulated_volume = models.BigIntegerField()
    data_last_added = models.BigIntegerField(default=0)
    data_threshold_reached_at = models.DateTimeField(null=True, blank=True)
    data_exhausted_at = models.DateTimeField(null=True, blank=True)
    sms_volume = models.IntegerField()
    sms_total_volume = models.IntegerField()
    sms_accumulated_volume = models.IntegerField()
    sms_last_added = models.IntegerField(default=0)
    sms_threshold_reached_at = models.DateTimeField(null=True, blank=True)
    sms_exhausted_at = models.DateTimeField(null=True, blank=True)
    threshold_percentage = models.PositiveSmallIntegerField(default=20)
    quota_created_at = models.DateTimeField()
    auto_topup = models.BooleanField(default=False)

    # The SIM's usage profile: daily usage is a deterministic function of these and the date.
    usage_seed = models.BigIntegerField()
    daily_data_bytes = models.PositiveIntegerField()
    daily_sms = models.FloatField(help_text="Expected MO messages per day.")
    usage_until = models.DateTimeField(help_text="Usage is accounted up to this instant.")

    flaky = models.BooleanField(default=False, help_text="Loses connectivity now and then.")
    connectivity_override = models.CharField(
        max_length=8, choices=OnenceConnectivity.choices, blank=True
    )
    reset_at = models.DateTimeField(null=True, blank=True)
    # A scripted loss (``streamer.script_site_loss``): OFFLINE from ``offline_from`` until
    # ``offline_until`` (for good when empty), so polling agrees with the streamed events.
    offline_from = models.DateTimeField(null=True, blank=True)
    offline_until = models.DateTimeField(null=True, blank=True)
    events_until = models.DateTimeField(help_text="Connectivity events exist up to here.")

    class Meta:
        verbose_name = "simulated 1NCE SIM"
        verbose_name_plural = "simulated 1NCE SIMs"
        ordering = ["iccid"]
        indexes = [models.Index(fields=["account", "iccid"])]

    def __str__(self) -> str:
        return self.iccid


class OnenceUsageDay(models.Model):
    sim = models.ForeignKey(OnenceSim, on_delete=models.CASCADE, related_name="usage_days")
    date = models.DateField()
    data_rx = models.BigIntegerField(default=0, help_text="Bytes received by the SIM.")
    data_tx = models.BigIntegerField(default=0, help_text="Bytes sent by the SIM.")
    sms_mo = models.IntegerField(default=0)
    sms_mt = models.IntegerField(default=0)

    class Meta:
        ordering = ["sim", "date"]
        constraints = [
            models.UniqueConstraint(fields=["sim", "date"], name="onence_usage_day_unique")
        ]

    def __str__(self) -> str:
        return f"{self.sim_id} {self.date}"


class OnenceEvent(models.Model):
    sim = models.ForeignKey(OnenceSim, on_delete=models.CASCADE, related_name="events")
    event_type = models.PositiveSmallIntegerField(choices=OnenceEventType.choices)
    timestamp = models.DateTimeField()
    severity = models.PositiveSmallIntegerField(
        choices=OnenceEventSeverity.choices, default=OnenceEventSeverity.INFO
    )
    source = models.PositiveSmallIntegerField(
        choices=OnenceEventSource.choices, default=OnenceEventSource.NETWORK
    )
    alert = models.BooleanField(default=False)
    user = models.CharField(max_length=128, blank=True)
    description = models.TextField()

    class Meta:
        verbose_name = "simulated 1NCE event"
        verbose_name_plural = "simulated 1NCE events"
        ordering = ["-timestamp", "-id"]
        indexes = [models.Index(fields=["sim", "-timestamp"])]

    def __str__(self) -> str:
        return f"{self.sim_id} {self.get_event_type_display()} {self.timestamp}"


class OnenceSms(models.Model):
    sim = models.ForeignKey(OnenceSim, on_delete=models.CASCADE, related_name="sms")
    sms_type = models.PositiveSmallIntegerField(choices=OnenceSmsType.choices)
    status = models.PositiveSmallIntegerField(
        choices=OnenceSmsStatus.choices, default=OnenceSmsStatus.PENDING
    )
    submit_date = models.DateTimeField()
    # When the network first tries to deliver it; delivery happens then if the SIM is reachable.
    deliver_after = models.DateTimeField()
    expiry_date = models.DateTimeField()
    delivery_date = models.DateTimeField(null=True, blank=True)
    final_date = models.DateTimeField(null=True, blank=True)
    last_delivery_attempt = models.DateTimeField(null=True, blank=True)
    retry_count = models.PositiveIntegerField(default=0)
    gsm_map_error = models.CharField(max_length=64, blank=True)
    payload = models.TextField(blank=True)
    udh = models.CharField(max_length=64, blank=True)
    dcs = models.PositiveSmallIntegerField(default=0)
    source_address = models.CharField(max_length=32, blank=True)
    source_address_type = models.PositiveSmallIntegerField(default=145)

    class Meta:
        verbose_name = "simulated 1NCE SMS"
        verbose_name_plural = "simulated 1NCE SMS"
        ordering = ["-submit_date", "-id"]
        indexes = [models.Index(fields=["sim", "-submit_date"])]

    def __str__(self) -> str:
        return f"SMS {self.pk} {self.get_sms_type_display()} {self.get_status_display()}"


class OnenceOrder(models.Model):
    """An order; its public number is ``ORDER_NUMBER_BASE + id`` so it never collides."""

    account = models.ForeignKey(OnenceAccount, on_delete=models.CASCADE, related_name="orders")
    order_type = models.CharField(max_length=16, choices=OnenceOrderType.choices)
    status = models.CharField(max_length=16, choices=OnenceOrderStatus.choices)
    order_date = models.DateTimeField()
    payment_method = models.CharField(max_length=16, default="banktransfer")
    invoice_amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, default="EUR")
    customer_reference = models.CharField(max_length=255, blank=True)
    shipping_address = models.JSONField(default=dict, blank=True)
    products = models.JSONField(default=list, blank=True)
    iccids = models.JSONField(default=list, blank=True)

    ORDER_NUMBER_BASE = 2_000_000_000

    class Meta:
        verbose_name = "simulated 1NCE order"
        verbose_name_plural = "simulated 1NCE orders"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.order_number} {self.order_type}"

    @property
    def order_number(self) -> int:
        return self.ORDER_NUMBER_BASE + self.pk


class OnenceFault(models.Model):
    """Faults injected into the simulator's answers, for one account or (no account) for all.

    An account's row replaces the global row for that account's requests. ``paths`` is an
    optional comma-separated list of path substrings the faults are limited to.
    """

    account = models.ForeignKey(
        OnenceAccount, null=True, blank=True, on_delete=models.CASCADE, related_name="faults"
    )
    latency_ms = models.PositiveIntegerField(default=0)
    error_rate = models.FloatField(default=0.0, help_text="Share of requests answered 5xx.")
    error_status = models.PositiveSmallIntegerField(default=500)
    throttle_rate = models.FloatField(default=0.0, help_text="Share of requests answered 429.")
    retry_after = models.PositiveIntegerField(default=1)
    hang_seconds = models.FloatField(default=0.0)
    hang_rate = models.FloatField(
        default=1.0, help_text="Share of the requests that hang (when hang_seconds is set)."
    )
    token_ttl_seconds = models.PositiveIntegerField(null=True, blank=True)
    enforce_rate_limit = models.BooleanField(default=True)
    ambiguous_writes = models.BooleanField(
        default=False, help_text="Apply writes, then answer 5xx (or hang when hang_seconds)."
    )
    paths = models.CharField(max_length=255, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "simulated 1NCE fault"
        verbose_name_plural = "simulated 1NCE faults"
        ordering = ["account__client_id"]
        # One row per account and one global row (NULL account, counted as 0).
        constraints = [
            models.UniqueConstraint(
                Coalesce("account", Value(0)), name="onence_fault_one_per_scope"
            )
        ]

    def __str__(self) -> str:
        return f"faults for {self.account or 'all accounts'}"


class OnenceRequestLog(models.Model):
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=512)
    status = models.PositiveSmallIntegerField()
    client_id = models.CharField(max_length=128, blank=True, db_index=True)
    fault = models.CharField(max_length=32, blank=True)
    duration_ms = models.FloatField(default=0.0)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "simulated 1NCE request"
        verbose_name_plural = "simulated 1NCE request log"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.method} {self.path} {self.status}"


class OnenceDataStream(models.Model):
    """A Data Streamer an account configured (1NCE's portal): event records are posted to
    ``url`` with HTTP Basic ``username``/``password``, in batches, oldest first. ``cursor``
    is the (timestamp, id) of the last event delivered."""

    account = models.OneToOneField(
        OnenceAccount, on_delete=models.CASCADE, related_name="data_stream"
    )
    url = models.URLField(max_length=500)
    username = models.CharField(max_length=128)
    password = models.CharField(max_length=256)
    batch_size = models.PositiveIntegerField(default=500)
    is_active = models.BooleanField(default=True)
    cursor_timestamp = models.DateTimeField(null=True, blank=True)
    cursor_id = models.BigIntegerField(default=0)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "simulated 1NCE Data Streamer"
        verbose_name_plural = "simulated 1NCE Data Streamers"
        ordering = ["account__client_id"]

    def __str__(self) -> str:
        return f"Data Streamer of {self.account} to {self.url}"
