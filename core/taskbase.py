"""The retry and failure policy every FleetOps Celery task shares.

A task retries on its own only what may pass by itself (an upstream down or slow, the
database connection lost), with exponential backoff and full jitter, a bounded number of
times; any other error fails at once. Its final failure is logged as ``task_failed``; a job's
task also marks its job failed, so ``GET /api/v1/jobs/{id}`` never shows it running forever.

    @shared_task(base=FleetTask, name="app.tasks.thing")
    def thing(): ...

A task may tighten the bounds in ``shared_task`` (``max_retries=0`` for a periodic task whose
next run, minutes away, is its retry) but keeps the policy.
"""

import structlog
from celery import Task
from celery.exceptions import MaxRetriesExceededError
from django.db import InterfaceError, OperationalError

from core.services import fail_unfinished_job
from upstream.exceptions import UpstreamTimeout, UpstreamUnavailable

logger = structlog.get_logger(__name__)

# Failures that may pass by themselves. Anything else (a bug, a rejected request) would fail
# the same way again.
TRANSIENT_ERRORS = (UpstreamUnavailable, UpstreamTimeout, OperationalError, InterfaceError)
RETRY_BACKOFF_SECONDS = 30  # first retry within 30 s, then 60, 120, ... (full jitter)
RETRY_BACKOFF_MAX_SECONDS = 600
MAX_RETRIES = 5


class FleetTask(Task):
    """Base class of every FleetOps task: the shared retry and failure policy."""

    autoretry_for = TRANSIENT_ERRORS
    retry_backoff = RETRY_BACKOFF_SECONDS
    retry_backoff_max = RETRY_BACKOFF_MAX_SECONDS
    retry_jitter = True
    max_retries = MAX_RETRIES

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        """Called once, when the task has failed for good (retries spent or not retryable)."""
        logger.error(
            "task_failed",
            task=self.name,
            task_id=task_id,
            retries=self.request.retries,
            error=type(exc).__name__,
        )
        self.record_failure(exc, args, kwargs)

    def record_failure(self, exc, args, kwargs) -> None:
        """Where a task keeps its final failure beyond the log; nothing by default."""


class JobTask(FleetTask):
    """Base class of a task that runs a chunk of a :class:`core.models.Job` (first argument
    ``job_id``): its final failure fails the job with a public message."""

    def record_failure(self, exc, args, kwargs) -> None:
        if isinstance(exc, MaxRetriesExceededError):
            # Waiting for the job's commit or for another run's lock timed out: the job is
            # someone else's to finish, or sweep_jobs re-enqueues it.
            return
        job_id = args[0] if args else kwargs.get("job_id")
        fail_unfinished_job(job_id, error=f"{type(exc).__name__}: the job could not finish.")
