import structlog
from celery import shared_task
from django.conf import settings

from core.services import prune_finished_jobs

logger = structlog.get_logger(__name__)


@shared_task(name="core.tasks.cleanup")
def cleanup() -> dict:
    """Daily housekeeping; each app adds its own pruning here through its services."""
    jobs = prune_finished_jobs(older_than_days=settings.JOB_RETENTION_DAYS)
    logger.info("cleanup_finished", jobs_deleted=jobs)
    return {"jobs_deleted": jobs}
