"""Sites (issue 18): where SIMs are, how many of them are online, and the SIM evidence that
opens, times and closes a site's outage.

- ``Site``: a place of an organization (code, name, location, tags, criticality) with its
  SIMs' online/offline counts kept current by the correlation service.
- ``DetectionPolicy``: an organization's tuning of the correlation (threshold, window,
  minimum SIMs, settle time, auto-resolve, flap damping).
- ``DataStream``: the credentials 1NCE's Data Streamer presents to our ingest endpoint, one per
  1NCE account of an organization.
- ``StreamEvent``: each ingested Data Streamer event once (unique by its 1NCE id).
- ``SimPresence``: a SIM's last known connectivity and its flap counter.
- ``SiteOutage`` and ``OutageEvidence``: the outage a site's SIMs opened and the SIMs (and
  events) behind its timestamps.
- ``SiteShareSample``: the history of a site's online share.
"""

import re

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q

from core.fields import latitude_field, longitude_field

SITE_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
# The SIM tag that places a SIM at a site: ``site:SITE123``.
SITE_TAG_PREFIX = "site:"


class Criticality(models.TextChoices):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class Site(models.Model):
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+"
    )
    code = models.CharField(
        max_length=64,
        validators=[RegexValidator(SITE_CODE, "Letters, digits, '.', '_' and '-'.")],
        help_text="The site's id within the organization (SITE123); SIMs tagged "
        "site:SITE123 belong to it.",
    )
    name = models.CharField(max_length=200)
    location = models.CharField(max_length=300, blank=True)
    latitude = latitude_field()
    longitude = longitude_field()
    tags = models.JSONField(default=list, blank=True)
    criticality = models.CharField(
        max_length=16, choices=Criticality.choices, default=Criticality.MEDIUM
    )
    # Kept by the assignment and correlation services (a SIM never heard of counts as online).
    sim_count = models.PositiveIntegerField(verbose_name="SIMs", default=0, editable=False)
    offline_count = models.PositiveIntegerField(verbose_name="offline", default=0, editable=False)
    last_change_at = models.DateTimeField(
        verbose_name="last change", null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["organization_id", "code", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="sites_site_code_per_org")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def online_count(self) -> int:
        return max(self.sim_count - self.offline_count, 0)

    @property
    def online_share(self) -> float | None:
        """Online SIMs / SIMs (0..1), None without SIMs."""
        return self.online_count / self.sim_count if self.sim_count else None


class DetectionPolicy(models.Model):
    """How an organization's site outages are detected (one row; defaults when absent)."""

    organization = models.OneToOneField(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+"
    )
    threshold_percent = models.PositiveSmallIntegerField(
        default=50,
        validators=[MinValueValidator(1), MaxValueValidator(99)],
        help_text="An outage opens when the site's online share drops below this.",
    )
    window_seconds = models.PositiveIntegerField(
        default=300,
        validators=[MinValueValidator(10), MaxValueValidator(86400)],
        help_text="...with the SIMs that made it drop lost within this window.",
    )
    min_sims = models.PositiveIntegerField(
        verbose_name="minimum SIMs",
        default=3,
        validators=[MinValueValidator(2), MaxValueValidator(100000)],
        help_text="...and at least this many of them (one lost SIM is a SIM alert).",
    )
    settle_seconds = models.PositiveIntegerField(
        default=300,
        validators=[MinValueValidator(0), MaxValueValidator(86400)],
        help_text="The share must stay at or above the threshold this long to close.",
    )
    auto_resolve = models.BooleanField(
        default=True, help_text="Resolve on recovery; otherwise propose the resolution."
    )
    flap_transitions = models.PositiveSmallIntegerField(
        default=4,
        validators=[MinValueValidator(2), MaxValueValidator(1000)],
        help_text="A SIM changing state this often within the flap window is flapping: its "
        "losses are not evidence.",
    )
    flap_window_seconds = models.PositiveIntegerField(
        default=900, validators=[MinValueValidator(60), MaxValueValidator(86400)]
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["organization_id"]
        verbose_name = "detection policy"
        verbose_name_plural = "detection policies"

    def __str__(self) -> str:
        return f"detection policy of {self.organization_id}"


class DataStream(models.Model):
    """The HTTP Basic credentials one 1NCE account's Data Streamer sends (set in 1NCE's
    portal). They name the organization, so a stream only ever touches its own SIMs. The
    secret is kept as a salted hash and shown once."""

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+"
    )
    onence_account = models.OneToOneField(
        "sims.OnenceAccount",
        verbose_name="1NCE account",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty: the default 1NCE account from settings, which this organization owns.",
    )
    username = models.CharField(max_length=64, unique=True)
    secret_hash = models.CharField(max_length=256, editable=False)
    is_active = models.BooleanField(default=True)
    last_received_at = models.DateTimeField(null=True, blank=True, editable=False)
    events_received = models.PositiveBigIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organization_id", "id"]
        verbose_name = "1NCE Data Streamer"
        verbose_name_plural = "1NCE Data Streamers"
        constraints = [
            models.UniqueConstraint(
                fields=["organization"],
                condition=Q(onence_account__isnull=True),
                name="sites_datastream_one_default_per_org",
            )
        ]

    def __str__(self) -> str:
        return f"Data Streamer {self.username}"


class Transition(models.TextChoices):
    LOST = "lost"
    RESTORED = "restored"
    NONE = "none"


class StreamEvent(models.Model):
    """One Data Streamer event as received, stored once per organization and 1NCE id."""

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+"
    )
    stream = models.ForeignKey(DataStream, on_delete=models.CASCADE, related_name="+")
    event_id = models.BigIntegerField(verbose_name="1NCE event id")
    iccid = models.CharField(verbose_name="ICCID", max_length=20)
    sim = models.ForeignKey(
        "sims.Sim", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    event_type_id = models.PositiveSmallIntegerField()
    event_type = models.CharField(max_length=100)
    transition = models.CharField(max_length=16, choices=Transition.choices)
    occurred_at = models.DateTimeField()
    received_at = models.DateTimeField(auto_now_add=True)
    payload = models.JSONField(default=dict)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = "Data Streamer event"
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "event_id"], name="sites_streamevent_once"
            )
        ]
        indexes = [models.Index(fields=["organization", "-occurred_at"], name="sites_event_org")]

    def __str__(self) -> str:
        return f"{self.event_id} {self.event_type} {self.iccid}"


class SimPresence(models.Model):
    """A SIM's last known connectivity (from streamed events, or the periodic refresh)."""

    sim = models.OneToOneField(
        "sims.Sim", on_delete=models.CASCADE, primary_key=True, related_name="presence"
    )
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+"
    )
    online = models.BooleanField(default=True)
    changed_at = models.DateTimeField()
    source = models.CharField(max_length=16, default="data_streamer")
    event_id = models.BigIntegerField(verbose_name="1NCE event id", null=True, blank=True)
    # Flap damping: transitions since ``flap_started_at`` (a window restarts when it lapses).
    flap_started_at = models.DateTimeField(null=True, blank=True)
    flap_count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "SIM presence"
        ordering = ["sim_id"]
        indexes = [
            # The recent losses of a site's SIMs (the correlation's window).
            models.Index(
                fields=["organization", "changed_at"],
                condition=Q(online=False),
                name="sites_presence_offline",
            )
        ]

    def __str__(self) -> str:
        return f"{self.sim_id} {'online' if self.online else 'offline'}"


class SiteOutageState(models.TextChoices):
    OPEN = "open"
    RECOVERING = "recovering"  # back above the threshold, settling
    PROPOSED = "proposed"  # settled; resolution proposed (auto-resolve off)
    CLOSED = "closed"


class SiteOutage(models.Model):
    """The outage a site's SIMs opened; one open per site at a time."""

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+"
    )
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="outages")
    outage = models.OneToOneField(
        "outages.Outage", on_delete=models.CASCADE, related_name="site_outage"
    )
    state = models.CharField(
        max_length=16, choices=SiteOutageState.choices, default=SiteOutageState.OPEN
    )
    first_loss_at = models.DateTimeField()
    opened_at = models.DateTimeField()
    sims_lost = models.PositiveIntegerField(default=0)
    # When the online share came back to the threshold (the proposed resolved_at).
    recovered_at = models.DateTimeField(null=True, blank=True)
    recovered_by = models.ForeignKey(
        "sims.Sim", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-first_loss_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["site"],
                condition=~Q(state="closed"),
                name="sites_one_open_outage_per_site",
            )
        ]
        indexes = [
            models.Index(
                fields=["state", "recovered_at"],
                condition=Q(state="recovering"),
                name="sites_outage_settling",
            )
        ]

    def __str__(self) -> str:
        return f"{self.site_id} {self.state}"


class OutageEvidence(models.Model):
    """A SIM whose loss is evidence of a site outage, with the events behind its times."""

    site_outage = models.ForeignKey(SiteOutage, on_delete=models.CASCADE, related_name="evidence")
    sim = models.ForeignKey("sims.Sim", on_delete=models.CASCADE, related_name="+")
    lost_at = models.DateTimeField()
    lost_event_id = models.BigIntegerField(null=True, blank=True)
    restored_at = models.DateTimeField(null=True, blank=True)
    restored_event_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["lost_at", "id"]
        verbose_name = "outage evidence"
        verbose_name_plural = "outage evidence"
        constraints = [
            models.UniqueConstraint(
                fields=["site_outage", "sim"], name="sites_evidence_once_per_sim"
            )
        ]

    def __str__(self) -> str:
        return f"{self.sim_id} lost {self.lost_at}"


class SiteShareSample(models.Model):
    """The site's online share after a change (at most one per site and minute)."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="samples")
    at = models.DateTimeField()
    online = models.PositiveIntegerField()
    total = models.PositiveIntegerField()

    class Meta:
        ordering = ["site_id", "-at"]
        constraints = [
            models.UniqueConstraint(fields=["site", "at"], name="sites_sample_per_minute")
        ]

    def __str__(self) -> str:
        return f"{self.site_id} {self.online}/{self.total} @ {self.at}"
