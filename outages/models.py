"""NOC outages (seed 004): the outage, its timeline, SLA terms and results, root cause analysis,
the outbox of outage events and the stored monthly SLA reports."""

import re

from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.models import Organization
from core.fields import latitude_field, longitude_field

PUBLIC_ID_PREFIX = "OUT"
PUBLIC_ID = re.compile(r"OUT(\d{1,12})", re.IGNORECASE)


def format_public_id(number: int) -> str:
    """``OUT000123``: the organization's running number, six digits at least."""
    return f"{PUBLIC_ID_PREFIX}{number:06d}"


def parse_public_id(value: str) -> int | None:
    """The running number of ``OUT000123`` (or seed 004's ``OUT001``), None if it is not one."""
    match = PUBLIC_ID.fullmatch(str(value).strip())
    return int(match.group(1)) if match else None


class Severity(models.TextChoices):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class OutageStatus(models.TextChoices):
    ACTIVE = "active"
    INVESTIGATING = "investigating"
    RESOLVED = "resolved"


OPEN_STATUSES = (OutageStatus.ACTIVE, OutageStatus.INVESTIGATING)


class TimestampSource(models.TextChoices):
    """Where an outage's timestamp came from: typed by a person, or taken from evidence (the
    SIM events a site's correlation read, issue 18)."""

    PERSON = "person"
    EVIDENCE = "evidence"


class OutageSequence(models.Model):
    """The last outage number handed out in an organization; its row is locked while a number
    is taken, so two concurrent creates never get the same ``OUT`` id."""

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    last_number = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.organization_id}: {self.last_number}"


class Outage(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    number = models.PositiveBigIntegerField(editable=False)
    site_name = models.CharField(max_length=200)
    site_id = models.CharField(max_length=64, blank=True)
    severity = models.CharField(max_length=16, choices=Severity.choices)
    status = models.CharField(
        max_length=16, choices=OutageStatus.choices, default=OutageStatus.ACTIVE
    )
    detected_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    detected_at_source = models.CharField(
        max_length=16, choices=TimestampSource.choices, default=TimestampSource.PERSON
    )
    resolved_at_source = models.CharField(
        max_length=16, choices=TimestampSource.choices, default=TimestampSource.PERSON
    )
    description = models.TextField(blank=True)
    root_cause = models.TextField(blank=True)
    resolution_notes = models.TextField(blank=True)
    affected_services = models.JSONField(default=list, blank=True)
    affected_subscribers = models.PositiveIntegerField(default=0)
    latitude = latitude_field()
    longitude = longitude_field()
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Derived on resolve from the timestamps (whole minutes), never typed; kept for analytics.
    mttr_minutes = models.PositiveIntegerField(null=True, blank=True, editable=False)
    # The SLA outcome, copied from its SlaResult so compliance is one indexed aggregate.
    sla_met = models.BooleanField(null=True, blank=True, editable=False)
    # When the SLA watch flagged the running outage (once each).
    sla_warned_at = models.DateTimeField(null=True, blank=True, editable=False)
    sla_breached_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-detected_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "number"], name="outages_outage_number_per_org"
            ),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True) | Q(resolved_at__gte=models.F("detected_at")),
                name="outages_outage_resolved_after_detected",
            ),
        ]
        indexes = [
            # The list: newest first within an organization, and by status or severity.
            models.Index(
                fields=["organization", "-detected_at", "-id"], name="outages_org_detected"
            ),
            models.Index(
                fields=["organization", "status", "-detected_at", "-id"],
                name="outages_org_status_detected",
            ),
            models.Index(
                fields=["organization", "severity", "-detected_at", "-id"],
                name="outages_org_sev_detected",
            ),
            # Severity and status together (seed 004's example filter): list and count both
            # read this index alone.
            models.Index(
                fields=["organization", "severity", "status", "-detected_at", "-id"],
                name="outages_org_sev_status",
            ),
            models.Index(
                fields=["organization", "site_name", "-detected_at", "-id"],
                name="outages_org_site_detected",
            ),
            # MTTR analytics over a period: an index-only scan of the resolved outages.
            # (Key columns rather than INCLUDE, which SQLite, the embedded default, lacks.)
            models.Index(
                fields=["organization", "detected_at", "severity", "mttr_minutes", "sla_met"],
                condition=Q(mttr_minutes__isnull=False),
                name="outages_org_mttr",
            ),
            # The SLA watch: open outages only (a few among millions).
            models.Index(
                fields=["organization", "severity", "detected_at"],
                condition=Q(resolved_at__isnull=True),
                name="outages_open",
            ),
            # Resolved outages the watch still has to evaluate (normally none).
            models.Index(
                fields=["resolved_at"],
                condition=Q(status="resolved", sla_met__isnull=True),
                name="outages_unevaluated",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} {self.site_name}"

    @property
    def public_id(self) -> str:
        return format_public_id(self.number)

    @property
    def is_resolved(self) -> bool:
        return self.status == OutageStatus.RESOLVED


class TimelineKind(models.TextChoices):
    CREATED = "created"
    ASSIGNED = "assigned"
    STATUS_CHANGED = "status_changed"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    UPDATED = "updated"
    SLA_EVALUATED = "sla_evaluated"
    SLA_WARNING = "sla_warning"
    SLA_BREACHED = "sla_breached"
    RCA_UPDATED = "rca_updated"
    PAYMENT = "payment"
    EVIDENCE = "evidence"
    RESOLUTION_PROPOSED = "resolution_proposed"
    TIMESTAMP_CORRECTED = "timestamp_corrected"


class TimelineEntry(models.Model):
    """One line of an outage's timeline (seed 004: timestamp, event, user), written by the
    service that made the change, in its transaction."""

    outage = models.ForeignKey(Outage, on_delete=models.CASCADE, related_name="timeline")
    occurred_at = models.DateTimeField()
    kind = models.CharField(max_length=32, choices=TimelineKind.choices)
    event = models.CharField(max_length=500)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_name = models.CharField(max_length=150, default="system")  # kept if the user goes
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [models.Index(fields=["outage", "occurred_at", "id"], name="outages_timeline")]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.event}"


class SlaConfig(models.Model):
    """One version of an organization's SLA terms for a severity. A change is a new row; the
    highest version is the one in force, older ones stay for the results that used them."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    severity = models.CharField(max_length=16, choices=Severity.choices)
    version = models.PositiveIntegerField()
    threshold_minutes = models.PositiveIntegerField()
    penalty_per_minute = models.DecimalField(max_digits=12, decimal_places=2)
    reward_base = models.DecimalField(max_digits=12, decimal_places=2)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["organization_id", "severity", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "severity", "version"], name="outages_slaconfig_version"
            )
        ]
        verbose_name = "SLA config"

    def __str__(self) -> str:
        return f"{self.severity} v{self.version}: {self.threshold_minutes} min"


class SlaStatus(models.TextChoices):
    MET = "met"
    VIOLATED = "violated"


class SlaResult(models.Model):
    """The SLA evaluation of a resolved outage: recorded once, with the config version used."""

    outage = models.OneToOneField(Outage, on_delete=models.CASCADE, related_name="sla_result")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    config = models.ForeignKey(SlaConfig, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=SlaStatus.choices)
    mttr_minutes = models.PositiveIntegerField()
    threshold_minutes = models.PositiveIntegerField()
    ratio = models.PositiveIntegerField(null=True, blank=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    performance_rating = models.CharField(max_length=16)
    payment_type = models.CharField(max_length=16)
    detected_at = models.DateTimeField()
    resolved_at = models.DateTimeField()
    evaluated_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-resolved_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "resolved_at"], name="outages_slaresult_org_res")
        ]
        verbose_name = "SLA result"

    def __str__(self) -> str:
        return f"{self.status} {self.amount}"


class RootCauseCategory(models.TextChoices):
    POWER = "power"
    FIBER = "fiber"
    HARDWARE = "hardware"
    SOFTWARE = "software"
    CONFIGURATION = "configuration"
    WEATHER = "weather"
    THIRD_PARTY = "third_party"
    UNKNOWN = "unknown"


class RootCauseAnalysis(models.Model):
    """The post-incident review of a resolved outage."""

    outage = models.OneToOneField(Outage, on_delete=models.CASCADE, related_name="rca")
    category = models.CharField(max_length=32, choices=RootCauseCategory.choices)
    contributing_factors = models.JSONField(default=list, blank=True)
    summary = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = "root cause analysis"
        verbose_name_plural = "root cause analyses"

    def __str__(self) -> str:
        return f"RCA {self.outage_id}: {self.category}"


class RcaAction(models.Model):
    rca = models.ForeignKey(RootCauseAnalysis, on_delete=models.CASCADE, related_name="actions")
    description = models.CharField(max_length=500)
    owner = models.CharField(max_length=150)
    due_date = models.DateField()
    done = models.BooleanField(default=False)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_date", "id"]
        indexes = [
            models.Index(
                fields=["due_date"], condition=Q(done=False), name="outages_rcaaction_open"
            )
        ]
        verbose_name = "RCA action"

    def __str__(self) -> str:
        return self.description


class OutageEventKind(models.TextChoices):
    CREATED = "outage.created"
    ASSIGNED = "outage.assigned"
    RESOLVED = "outage.resolved"
    REOPENED = "outage.reopened"
    SLA_CALCULATED = "sla.calculated"
    SLA_WARNING = "sla.warning"
    SLA_BREACHED = "sla.breached"


class OutageEvent(models.Model):
    """A typed domain event of an outage, written in the transaction of its change and
    published on the one event stream (``core.events``) by ``emit_event`` in the same
    transaction; kept here as the outage's own history (the watch flags each kind once)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    outage = models.ForeignKey(Outage, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=32, choices=OutageEventKind.choices)
    payload = models.JSONField(default=dict)
    occurred_at = models.DateTimeField()
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        constraints = [
            # The SLA watch flags an outage at most once per kind.
            models.UniqueConstraint(
                fields=["outage", "kind"],
                condition=Q(kind__in=["sla.warning", "sla.breached"]),
                name="outages_event_sla_flag_once",
            )
        ]
        indexes = [
            models.Index(
                fields=["occurred_at", "id"],
                condition=Q(published_at__isnull=True),
                name="outages_event_unpublished",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.outage_id}"


class SlaReport(models.Model):
    """A month's SLA report of an organization, generated by the monthly job and kept."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    month = models.DateField(help_text="The first day of the month reported.")
    data = models.JSONField()
    generated_at = models.DateTimeField()

    class Meta:
        ordering = ["-month", "organization_id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "month"], name="outages_report_month")
        ]
        verbose_name = "SLA report"

    def __str__(self) -> str:
        return f"SLA report {self.month:%Y-%m}"
