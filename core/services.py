"""Job bookkeeping shared by every bulk operation.

A bulk operation creates a job with its items, enqueues a task after commit, and the task
walks the items with :func:`run_job`. Each item is marked ``in_progress`` before its work and
``succeeded``/``failed`` after it, so a retried or restarted task skips what already succeeded
and hands anything left ``in_progress`` to the handler to check before repeating it.
"""

from collections.abc import Callable, Iterable
from datetime import timedelta

import structlog
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core.models import Job, JobItem, JobItemStatus, JobStatus, TaskRun

logger = structlog.get_logger(__name__)


class ItemFailed(Exception):
    """Raised by a job handler to fail one item with a reason; the job goes on."""


class ItemUnknown(ItemFailed):
    """Raised by a job handler when the item's upstream outcome was lost: the item is recorded
    ``unknown`` (not failed) until the app settles it with :func:`settle_job_item`."""


def create_job(
    *,
    kind: str,
    items: Iterable[tuple[str, dict]],
    organization=None,
    created_by=None,
    params: dict | None = None,
) -> Job:
    """Create a job and its items (``(key, payload)`` pairs, keys unique within the job).
    ``created_by`` may be any actor: an anonymous one (a task, a command) is recorded as none."""
    items = list(items)
    if not getattr(created_by, "is_authenticated", False):
        created_by = None
    with transaction.atomic():
        job = Job.objects.create(
            kind=kind,
            organization=organization,
            created_by=created_by,
            params=params or {},
            total=len(items),
        )
        JobItem.objects.bulk_create(
            JobItem(job=job, key=key, payload=payload, position=i)
            for i, (key, payload) in enumerate(items)
        )
    return job


def create_exclusive_job(
    *,
    kind: str,
    organization,
    items: Iterable[tuple[str, dict]],
    created_by=None,
    params: dict | None = None,
    fresh_for: timedelta,
) -> tuple[Job, bool]:
    """The organization's open job of ``kind`` (pending or running, created within
    ``fresh_for``), else a new one: ``(job, created)``.

    Concurrent callers are serialised on the organization's row, so two requests never queue
    two jobs. A job older than ``fresh_for`` that never finished is presumed lost and no
    longer blocks a new one.
    """
    with transaction.atomic():
        type(organization).objects.select_for_update().filter(pk=organization.pk).first()
        open_job = (
            Job.objects.filter(
                kind=kind,
                organization=organization,
                status__in=[JobStatus.PENDING, JobStatus.PROCESSING],
                created_at__gte=timezone.now() - fresh_for,
            )
            .order_by("-created_at")
            .first()
        )
        if open_job is not None:
            return open_job, False
        job = create_job(
            kind=kind,
            items=items,
            organization=organization,
            created_by=created_by,
            params=params,
        )
    return job, True


def run_job(job: Job, handler: Callable[[JobItem], dict]) -> Job:
    """Run ``handler`` on every item not yet succeeded; record each outcome as it happens.

    ``handler(item)`` returns the item's result dict or raises :class:`ItemFailed`. An item
    found ``in_progress`` was interrupted mid-call: the handler sees ``item.attempts > 0`` and
    must check the upstream before repeating the work.
    """
    Job.objects.filter(pk=job.pk, started_at__isnull=True).update(started_at=timezone.now())
    Job.objects.filter(pk=job.pk).update(status=JobStatus.PROCESSING)
    pending = job.items.exclude(status=JobItemStatus.SUCCEEDED).order_by("position", "id")
    for item in pending.iterator():
        previous = item.status
        JobItem.objects.filter(pk=item.pk).update(
            status=JobItemStatus.IN_PROGRESS, attempts=F("attempts") + 1
        )
        item.attempts += 1
        try:
            result = handler(item)
        except ItemUnknown as exc:
            _finish_item(job, item, previous, JobItemStatus.UNKNOWN, error=str(exc))
        except ItemFailed as exc:
            _finish_item(job, item, previous, JobItemStatus.FAILED, error=str(exc))
        except Exception as exc:
            logger.exception("job_item_error", job_id=job.pk, item=item.key)
            _finish_item(job, item, previous, JobItemStatus.FAILED, error=_safe_error(exc))
        else:
            _finish_item(job, item, previous, JobItemStatus.SUCCEEDED, result=result or {})
    return finish_job(job)


def _safe_error(exc: Exception) -> str:
    public = getattr(exc, "public_message", None)
    return public or f"{type(exc).__name__}: the item could not be processed."


def _finish_item(job, item, previous, status, *, result=None, error="") -> None:
    with transaction.atomic():
        JobItem.objects.filter(pk=item.pk).update(status=status, result=result or {}, error=error)
        counters = {}
        if previous in (JobItemStatus.FAILED, JobItemStatus.UNKNOWN):
            counters["failed"] = F("failed") - 1
        if status == JobItemStatus.SUCCEEDED:
            counters["done"] = F("done") + 1
        else:
            counters["failed"] = counters.get("failed", F("failed")) + 1
        Job.objects.filter(pk=job.pk).update(**counters, updated_at=timezone.now())


def finish_job(job: Job) -> Job:
    job.refresh_from_db()
    if job.failed == 0:
        job.status = JobStatus.COMPLETED
    elif job.done == 0:
        job.status = JobStatus.FAILED
    else:
        job.status = JobStatus.PARTIAL
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "finished_at", "updated_at"])
    logger.info("job_finished", job_id=job.pk, kind=job.kind, done=job.done, failed=job.failed)
    return job


def settle_job_item(item: JobItem, *, succeeded: bool, result=None, error: str = "") -> None:
    """Record the settled outcome of an ``unknown`` item (its work was found done, or found
    not done); a finished job's status follows. Does nothing to an item no longer unknown."""
    with transaction.atomic():
        updated = JobItem.objects.filter(pk=item.pk, status=JobItemStatus.UNKNOWN).update(
            status=JobItemStatus.SUCCEEDED if succeeded else JobItemStatus.FAILED,
            result=result or {},
            error=error,
        )
        if not updated:
            return
        if succeeded:
            Job.objects.filter(pk=item.job_id).update(
                done=F("done") + 1, failed=F("failed") - 1, updated_at=timezone.now()
            )
        job = Job.objects.select_for_update().get(pk=item.job_id)
        if job.finished_at is not None:
            job.status = (
                JobStatus.COMPLETED
                if job.failed == 0
                else JobStatus.FAILED
                if job.done == 0
                else JobStatus.PARTIAL
            )
            job.save(update_fields=["status", "updated_at"])


def fail_job(job: Job, *, error: str) -> Job:
    """Mark a whole job failed (the task gave up after its retries)."""
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.FAILED, error=error, finished_at=timezone.now()
    )
    job.refresh_from_db()
    return job


def prune_finished_jobs(*, older_than_days: int) -> int:
    cutoff = timezone.now() - timedelta(days=older_than_days)
    deleted, _ = Job.objects.filter(finished_at__lt=cutoff).delete()
    return deleted


def prune_task_runs(*, older_than_days: int) -> int:
    """Forget periodic task runs older than ``older_than_days`` (the scheduler status keeps
    only each task's latest)."""
    cutoff = timezone.now() - timedelta(days=older_than_days)
    deleted, _ = TaskRun.objects.filter(started_at__lt=cutoff).delete()
    return deleted
