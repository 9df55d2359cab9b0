"""Job bookkeeping shared by every bulk operation.

A bulk operation calls :func:`start_job`: the job, its items and the message that runs it
are created together (the message is published inside the job's transaction, so a broker
that is down answers 503 and leaves nothing behind). The task calls :func:`run_job_task`,
which walks the items with :func:`run_job` in bounded chunks: a chunk stops between items
after ``JOB_CHUNK_SECONDS`` (or at the soft time limit) and enqueues the next, so no run nears
the hard time limit. Each item is marked ``in_progress`` before its work and
``succeeded``/``failed`` after it, so a retried or restarted task skips what already
succeeded and hands anything left ``in_progress`` to the handler to check before repeating
it. A chunk holds its job's :class:`~core.locks.HeartbeatLock`, so two deliveries never run
one job at once, and :func:`sweep_jobs` re-enqueues jobs whose message or runner was lost.
"""

import contextlib
import importlib
import time
from collections.abc import Callable, Iterable
from datetime import timedelta

import structlog
from celery.exceptions import MaxRetriesExceededError, SoftTimeLimitExceeded
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from core.errors import Unavailable as ServiceUnavailable
from core.locks import HeartbeatLock, is_locked
from core.models import Job, JobItem, JobItemStatus, JobStatus, TaskRun

logger = structlog.get_logger(__name__)

# A job's message may reach a worker before the transaction that created the job commits.
JOB_NOT_FOUND_RETRIES = 5
# A delivery that finds its job held by another run waits for that lock this many times.
JOB_BUSY_RETRIES = 10


class ItemFailed(Exception):
    """Raised by a job handler to fail one item with a reason; the job goes on."""


class JobNotReady(Exception):
    """The job cannot run yet (not committed, or another run holds it): retry later."""

    def __init__(self, message: str, *, retry_after: float, max_retries: int):
        super().__init__(message)
        self.retry_after = retry_after
        self.max_retries = max_retries


class ItemRetryLater(Exception):
    """Raised by a job handler, from a transient failure (``raise ItemRetryLater from exc``),
    when the item cannot be done now but may be soon (1NCE down): the item goes back to what
    it was, the run stops and the cause is raised to the job's task, which retries under the
    shared policy (``core.taskbase``) and fails the job once its retries are spent."""


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
    task: str = "",
) -> Job:
    """Create a job and its items (``(key, payload)`` pairs, keys unique within the job).
    ``created_by`` may be any actor: an anonymous one (a task, a command) is recorded as none.
    ``task`` names the Celery task that runs it (see :func:`start_job`)."""
    items = list(items)
    if not getattr(created_by, "is_authenticated", False):
        created_by = None
    with transaction.atomic():
        job = Job.objects.create(
            kind=kind,
            organization=organization,
            created_by=created_by,
            params=params or {},
            task=task,
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
    task: str = "",
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
            task=task,
        )
    return job, True


def start_job(
    *,
    kind: str,
    task: str,
    items: Iterable[tuple[str, dict]],
    organization=None,
    created_by=None,
    params: dict | None = None,
    exclusive_for: timedelta | None = None,
    on_created: Callable[[Job], None] | None = None,
) -> tuple[Job, bool]:
    """Create a job and enqueue ``task`` for it: both happen, or neither (``(job, created)``).

    The message is published inside the job's transaction with a short broker timeout
    (``CELERY_BROKER_TIMEOUT``): if the broker cannot take it, :class:`ServiceUnavailable`
    (503) rolls the job back, so no job is left pending that nothing will run. A worker that
    receives the message before the commit retries shortly (:func:`run_job_task`).
    ``on_created(job)`` runs in the same transaction first (an audit entry). With
    ``exclusive_for``, the organization's open job of ``kind`` is answered instead of a new
    one (:func:`create_exclusive_job`).
    """
    with transaction.atomic():
        if exclusive_for is not None:
            job, created = create_exclusive_job(
                kind=kind,
                organization=organization,
                items=items,
                created_by=created_by,
                params=params,
                fresh_for=exclusive_for,
                task=task,
            )
        else:
            job = create_job(
                kind=kind,
                items=items,
                organization=organization,
                created_by=created_by,
                params=params,
                task=task,
            )
            created = True
        if created:
            if on_created is not None:
                on_created(job)
            enqueue_job(job)
    return job, created


def enqueue_job(job: Job) -> None:
    """Publish the job's task with the job id; :class:`ServiceUnavailable` if the broker
    cannot take it (nothing is retried here: the caller decides)."""
    try:
        task_for(job.task).apply_async(args=[job.pk], retry=False)
    except (BrokerError, OSError) as exc:
        logger.error("job_not_enqueued", job_id=job.pk, task=job.task, error=str(exc))
        raise ServiceUnavailable(
            "The job queue is unavailable; nothing was queued. Retry shortly."
        ) from exc


def task_for(name: str):
    """The registered Celery task ``name`` (``app.tasks.function``); its module is imported
    first, so a process that has not loaded it yet (the web) finds it too."""
    from celery import current_app

    module = name.rsplit(".", 1)[0]
    importlib.import_module(module)
    return current_app.tasks[name]


def enqueue_once(name: str, *, key: str, args: tuple = (), mark_seconds: int = 30) -> None:
    """Queue task ``name`` unless one queued under ``key`` is still waiting: a burst of
    commits queues one task, not one per commit. The task calls :func:`forget_enqueued` with
    the same key when it starts, so work committed from then on queues another run; the mark
    also expires, so a lost message holds nothing up for long (a periodic sweep runs anyway).
    Without a cache, every call queues; a broker that cannot take it is logged, not raised
    (the sweep queues it instead)."""
    try:
        if not cache.add(key, 1, timeout=mark_seconds):
            return
    except Exception as exc:
        logger.warning("enqueue_mark_unavailable", key=key, error=str(exc))
    try:
        task_for(name).apply_async(args=list(args), retry=False)
    except Exception as exc:
        logger.warning("task_not_enqueued", task=name, key=key, error=str(exc))
        forget_enqueued(key)


def forget_enqueued(key: str) -> None:
    """Drop the mark of :func:`enqueue_once` (the task it queued has started)."""
    try:
        cache.delete(key)
    except Exception as exc:  # the mark expires on its own
        logger.warning("enqueue_mark_unavailable", key=key, error=str(exc))


def run_job_task(task, job_id: str, handler_for: Callable[[Job], Callable[[JobItem], dict]]):
    """The body of a job's Celery task (bound: ``task`` is ``self``): run one chunk of the job
    with the handler ``handler_for(job)`` returns, retrying later when the job is not ready.

    A delivery that is still not ready after its retries is dropped, never turned into a
    failure: the run holding the job finishes it, and ``sweep_jobs`` requeues one left behind.
    """
    try:
        return run_job_chunk(job_id, handler_for)
    except JobNotReady as exc:
        try:
            raise task.retry(countdown=exc.retry_after, max_retries=exc.max_retries) from exc
        except MaxRetriesExceededError:
            logger.warning("job_delivery_dropped", job_id=job_id, reason=str(exc))
            return None
        finally:
            # Celery keeps an explicit max_retries on the task object, where its autoretry
            # would later apply it to unrelated failures (1NCE down): it was for this wait alone.
            with contextlib.suppress(AttributeError):
                del task.override_max_retries


def run_job_chunk(job_id: str, handler_for: Callable[[Job], Callable[[JobItem], dict]]):
    """Run the job ``job_id`` for at most ``JOB_CHUNK_SECONDS`` under its lock, then enqueue
    the next chunk if items are left. Returns the job."""
    job = Job.objects.select_related("organization", "created_by").filter(pk=job_id).first()
    if job is None:
        raise JobNotReady(
            f"Job {job_id} not found (not committed yet?).",
            retry_after=1,
            max_retries=JOB_NOT_FOUND_RETRIES,
        )
    if job.is_finished:
        return job
    lock = HeartbeatLock(job_lock_key(job.pk), ttl=settings.JOB_LEASE_SECONDS)
    if not lock.acquire():
        # A duplicate delivery, or the redelivery of a killed worker's task whose lock has
        # not expired yet: try again once it may have.
        raise JobNotReady(
            f"Job {job_id} is held by another run.",
            retry_after=settings.JOB_LEASE_SECONDS,
            max_retries=JOB_BUSY_RETRIES,
        )
    try:
        Job.objects.filter(pk=job.pk).update(runs=F("runs") + 1)
        deadline = time.monotonic() + settings.JOB_CHUNK_SECONDS
        job = run_job(job, handler_for(job), deadline=deadline, should_stop=lambda: lock.lost)
    finally:
        lock.release()
    if not job.is_finished:
        # If the broker is down (logged), sweep_jobs re-enqueues the job once it is back.
        with contextlib.suppress(ServiceUnavailable):
            enqueue_job(job)
    return job


def job_lock_key(job_id: str) -> str:
    return f"job-run:{job_id}"


def run_job(
    job: Job,
    handler: Callable[[JobItem], dict],
    *,
    deadline: float | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Job:
    """Run ``handler`` on the items of the current pass not yet succeeded; record each outcome
    as it happens. Returns the job, finished unless it stopped early.

    ``handler(item)`` returns the item's result dict or raises :class:`ItemFailed`. An item
    found ``in_progress`` was interrupted mid-call: the handler sees ``item.attempts > 1`` and
    must check the upstream before repeating the work. The run stops between items once
    ``time.monotonic()`` passes ``deadline`` or ``should_stop()`` is true, and when Celery's
    soft time limit interrupts an item: that item stays ``in_progress`` (never marked failed:
    its work may have been done) and the next run hands it over as a retry.
    """
    now = timezone.now()
    Job.objects.filter(pk=job.pk, started_at__isnull=True).update(started_at=now)
    Job.objects.filter(pk=job.pk).update(status=JobStatus.PROCESSING, updated_at=now)
    job.refresh_from_db(fields=["cursor"])
    pending = (
        job.items.exclude(status=JobItemStatus.SUCCEEDED)
        .filter(Q(position__gte=job.cursor) | Q(status=JobItemStatus.IN_PROGRESS))
        .order_by("position", "id")
    )
    for ran, item in enumerate(pending.iterator(chunk_size=100)):
        # At least one item per run, so a chunk always makes progress.
        if ran and (
            (deadline is not None and time.monotonic() >= deadline)
            or (should_stop is not None and should_stop())
        ):
            logger.info("job_chunk_stopped", job_id=job.pk, next_item=item.key)
            job.refresh_from_db()
            return job
        previous = item.status
        JobItem.objects.filter(pk=item.pk).update(
            status=JobItemStatus.IN_PROGRESS, attempts=F("attempts") + 1
        )
        item.attempts += 1
        try:
            result = handler(item)
        except SoftTimeLimitExceeded:
            logger.warning("job_item_interrupted", job_id=job.pk, item=item.key)
            job.refresh_from_db()
            return job
        except ItemRetryLater as exc:
            JobItem.objects.filter(pk=item.pk).update(status=previous)
            raise (exc.__cause__ or exc) from None
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
        Job.objects.filter(pk=job.pk).update(
            **counters, cursor=item.position + 1, updated_at=timezone.now()
        )


def outcome_of(job: Job) -> str:
    """A finished job's status from its counts: completed, failed or partial."""
    if job.failed == 0:
        return JobStatus.COMPLETED
    return JobStatus.FAILED if job.done == 0 else JobStatus.PARTIAL


def finish_job(job: Job) -> Job:
    job.refresh_from_db()
    job.status = outcome_of(job)
    job.finished_at = timezone.now()
    job.cursor = 0
    job.save(update_fields=["status", "finished_at", "cursor", "updated_at"])
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
            job.status = outcome_of(job)
            job.save(update_fields=["status", "updated_at"])


def fail_job(job: Job, *, error: str) -> Job:
    """Mark a whole job failed (the task gave up after its retries)."""
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.FAILED, error=error, finished_at=timezone.now()
    )
    job.refresh_from_db()
    return job


def fail_unfinished_job(job_id, *, error: str) -> None:
    """Fail the job ``job_id`` if it exists and is not finished (its task gave up)."""
    Job.objects.filter(pk=job_id, finished_at__isnull=True).update(
        status=JobStatus.FAILED, error=error, finished_at=timezone.now()
    )


def sweep_jobs(*, now=None) -> list[str]:
    """Re-enqueue every unfinished job nobody is running: pending longer than
    ``JOB_SWEEP_AFTER_SECONDS`` (its message was lost with the broker's data), or processing
    and untouched that long with its lock free (a chunk killed at its hard time limit, or
    whose next chunk could not be queued). A job still queued behind a backlog may be sent
    twice; its lock and the done items make the second delivery harmless. Returns the ids.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.JOB_SWEEP_AFTER_SECONDS)
    stale = Job.objects.filter(
        status__in=[JobStatus.PENDING, JobStatus.PROCESSING], updated_at__lt=cutoff
    ).exclude(task="")
    swept = []
    for job in stale.order_by("created_at").iterator():
        if is_locked(job_lock_key(job.pk)):
            continue
        try:
            enqueue_job(job)
        except ServiceUnavailable:
            break  # the broker is down: the next sweep tries again
        # Touched so that the next sweep gives this delivery time to run.
        Job.objects.filter(pk=job.pk).update(updated_at=now)
        swept.append(job.pk)
    if swept:
        logger.warning("jobs_swept", count=len(swept), job_ids=swept[:20])
    return swept


# Pruners the daily cleanup runs besides its own, by the key of their count. Apps
# register theirs in ``AppConfig.ready`` so that core imports none of them.
_CLEANUP_PRUNERS: dict[str, Callable[[], int]] = {}


def register_cleanup(key: str, prune: Callable[[], int]) -> None:
    """Have the daily cleanup call ``prune()`` (which returns how many rows it deleted) and
    report the count as ``key``."""
    _CLEANUP_PRUNERS[key] = prune


def run_registered_cleanups() -> dict[str, int]:
    """Run every registered pruner; ``{key: rows deleted}``."""
    return {key: prune() for key, prune in sorted(_CLEANUP_PRUNERS.items())}


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
