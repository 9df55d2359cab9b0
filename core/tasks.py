import structlog
from celery import shared_task
from django.conf import settings

from core.idempotency import prune_idempotency_keys
from core.services import prune_finished_jobs, prune_task_runs, sweep_jobs
from core.taskbase import FleetTask

logger = structlog.get_logger(__name__)


@shared_task(base=FleetTask, name="core.tasks.cleanup")
def cleanup() -> dict:
    """Daily housekeeping; each app adds its own pruning here through its services."""
    jobs = prune_finished_jobs(older_than_days=settings.JOB_RETENTION_DAYS)
    keys = prune_idempotency_keys()
    runs = prune_task_runs(older_than_days=settings.JOB_RETENTION_DAYS)
    logger.info(
        "cleanup_finished", jobs_deleted=jobs, idempotency_keys_deleted=keys, task_runs_deleted=runs
    )
    return {"jobs_deleted": jobs, "idempotency_keys_deleted": keys, "task_runs_deleted": runs}


# Every few minutes: the next run is the retry.
@shared_task(base=FleetTask, name="core.tasks.sweep_jobs", max_retries=0)
def sweep_jobs_task() -> dict:
    """Every few minutes: re-enqueue jobs whose message or runner was lost."""
    swept = sweep_jobs()
    return {"requeued": len(swept), "job_ids": swept[:20]}
