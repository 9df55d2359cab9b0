"""Cross-cutting models: ``Job`` records the progress of bulk work run by Celery."""

import uuid

from django.conf import settings
from django.db import models

from core.humanize import human_datetime
from core.job_kinds import kind_label, kind_of
from core.schedules import task_name


def new_job_id() -> str:
    return f"job_{uuid.uuid4().hex}"


class JobStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PROCESSING = "processing", "Processing"
    COMPLETED = "completed", "Completed"
    PARTIAL = "partial", "Completed with failures"
    FAILED = "failed", "Failed"


class JobItemStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    # Set before the upstream call and replaced after it: an item found ``in_progress`` after a
    # worker died is checked, not blindly repeated.
    IN_PROGRESS = "in_progress", "In progress"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    # The upstream outcome was lost; counted with the failed until the app settles it
    # (``core.services.settle_job_item``) and never repeated meanwhile.
    UNKNOWN = "unknown", "Outcome unknown"


class Job(models.Model):
    id = models.CharField(primary_key=True, max_length=40, default=new_job_id, editable=False)
    kind = models.CharField(max_length=64, db_index=True)
    status = models.CharField(
        max_length=16, choices=JobStatus.choices, default=JobStatus.PENDING, db_index=True
    )
    organization = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    params = models.JSONField(default=dict, blank=True)
    # The Celery task that runs the job, by name: the sweeper re-enqueues it with the job id.
    task = models.CharField(max_length=200, blank=True)
    # Task runs (chunks) so far: a job runs in bounded chunks, each resuming the last.
    runs = models.PositiveIntegerField(default=0)
    # Where the current pass over the items resumes (an item position): a chunk goes on from
    # there rather than retrying what failed earlier in the same pass. Back to 0 when the job
    # finishes, so running a finished job again retries its failed items.
    cursor = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "id"]
        indexes = [models.Index(fields=["organization", "-created_at"])]

    def __str__(self) -> str:
        # As the console's title and breadcrumbs show it: the kind's label, not its code.
        return f"{kind_label(self.kind)} {self.id} ({self.get_status_display().lower()})"

    @property
    def is_finished(self) -> bool:
        return self.status in {JobStatus.COMPLETED, JobStatus.PARTIAL, JobStatus.FAILED}

    @property
    def progress(self) -> float:
        return round(100 * (self.done + self.failed) / self.total, 1) if self.total else 0.0


class JobItem(models.Model):
    """One unit of a job (a SIM, a subscriber). Unique per job: an item is never done twice."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="items")
    key = models.CharField(verbose_name="item", max_length=128)
    position = models.PositiveIntegerField(default=0)
    payload = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=16, choices=JobItemStatus.choices, default=JobItemStatus.PENDING
    )
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["job", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["job", "key"], name="core_jobitem_unique_key"),
        ]
        # A job's items in order (its page, the next chunk of a pass) without sorting them all.
        indexes = [models.Index(fields=["job", "position", "id"], name="core_jobitem_in_order")]

    def __str__(self) -> str:
        # The console shows it above the item's row: the item as its kind reads it (an ICCID).
        return kind_of(self.job.kind).describe_item(self.key)


class IdempotencyStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"


class IdempotencyKey(models.Model):
    """The first answer to a request sent with an ``Idempotency-Key`` header (see
    ``core.idempotency``): a repeat gets this answer back and does nothing."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=512)
    fingerprint = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=IdempotencyStatus.choices)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    # While ``in_progress``, the request holding the key owns it until then; a retry after it
    # (the holder died with its web worker) takes the key over and resumes the work.
    locked_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="core_idempotency_unique_key"),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.status})"


class TaskRunOutcome(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCESS = "success", "Succeeded"
    FAILURE = "failure", "Failed"
    RETRY = "retry", "Failed, retry scheduled"
    # The run did nothing on purpose (another run of it held the lock).
    SKIPPED = "skipped", "Skipped"


class TaskRun(models.Model):
    """One run of a periodic task, recorded by ``core.scheduler`` from Celery's signals."""

    task_id = models.CharField(max_length=64, db_index=True)
    task = models.CharField(max_length=200)
    # The django-celery-beat entry that sent it; blank when started by hand.
    schedule_name = models.CharField(max_length=200, blank=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    outcome = models.CharField(
        max_length=16, choices=TaskRunOutcome.choices, default=TaskRunOutcome.RUNNING
    )
    error = models.TextField(blank=True)
    result = models.JSONField(null=True, blank=True)
    worker = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = "periodic task run"
        verbose_name_plural = "periodic task runs"
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["task", "-started_at"], name="core_taskrun_task_started")]

    def __str__(self) -> str:
        # The console's title and breadcrumbs: the task by name, the start in the operator's
        # time zone.
        return (
            f"{task_name(self.task, self.schedule_name)} at {human_datetime(self.started_at)}"
            f" ({self.get_outcome_display()})"
        )


def new_event_id() -> str:
    return f"evt_{uuid.uuid4().hex}"


class DomainEvent(models.Model):
    """The outbox: one typed domain event (``quota.threshold_reached``, ``outage.resolved``, ...)
    written in the transaction of the change that caused it (``core.events.publish``), then
    handed to every registered consumer (alert rules, webhooks) exactly once by
    ``core.events.dispatch_pending``."""

    id = models.BigAutoField(primary_key=True)  # insertion order, for the dispatcher
    event_id = models.CharField(max_length=40, unique=True, default=new_event_id, editable=False)
    name = models.CharField(max_length=64, db_index=True)
    organization = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # What the event is about, for grouping ("sim:8988...", "outage:OUT000123").
    subject = models.CharField(max_length=128, blank=True, db_index=True)
    data = models.JSONField(default=dict)
    occurred_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(
                fields=["id"],
                name="core_event_pending",
                condition=models.Q(dispatched_at__isnull=True),
            ),
            models.Index(fields=["organization", "name", "-occurred_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.subject}"

    @property
    def payload(self) -> dict:
        """The event as receivers get it (seed 001's and seed 004's webhook payload shape)."""
        return {
            "id": self.event_id,
            "event": self.name,
            "timestamp": self.occurred_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "data": self.data,
        }
