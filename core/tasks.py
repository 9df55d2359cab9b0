import structlog
from celery import shared_task
from django.conf import settings

from core.idempotency import prune_idempotency_keys
from core.services import prune_finished_jobs, prune_task_runs, sweep_jobs

logger = structlog.get_logger(__name__)


@shared_task(name="core.tasks.cleanup")
def cleanup() -> dict:
    """Daily housekeeping; each app adds its own pruning here through its services."""
    jobs = prune_finished_jobs(older_than_days=settings.JOB_RETENTION_DAYS)
    keys = prune_idempotency_keys()
    runs = prune_task_runs(older_than_days=settings.JOB_RETENTION_DAYS)
    logger.info(
        "cleanup_finished", jobs_deleted=jobs, idempotency_keys_deleted=keys, task_runs_deleted=runs
    )
    return {"jobs_deleted": jobs, "idempotency_keys_deleted": keys, "task_runs_deleted": runs}


@shared_task(name="core.tasks.sweep_jobs")
def sweep_jobs_task() -> dict:
    """Every few minutes: re-enqueue jobs whose message or runner was lost."""
    swept = sweep_jobs()
    return {"requeued": len(swept), "job_ids": swept[:20]}
