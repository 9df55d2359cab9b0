"""Celery tasks for SIMs: thin, they load and call services."""

import structlog
from celery import shared_task
from celery.exceptions import Retry
from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings

from accounts.models import Organization
from core.models import Job
from core.services import ItemFailed, fail_job, run_job_task
from sims import services
from upstream.exceptions import UpstreamTimeout, UpstreamUnavailable

logger = structlog.get_logger(__name__)


# How a sync that finds 1NCE down is retried, by the task and by ``manage.py sync_sims``
# alike: up to SYNC_MAX_RETRIES more times, after SIM_SYNC_RETRY_BACKOFF_SECONDS, then twice
# that, and so on (Celery's exponential backoff with full jitter, capped at 10 minutes).
SYNC_RETRY_ERRORS = (UpstreamUnavailable, UpstreamTimeout)
SYNC_MAX_RETRIES = 5
SYNC_RETRY_BACKOFF_MAX = 600


def sync_retry_delay(retries: int) -> int:
    """Seconds to wait before retry number ``retries + 1``, as Celery's ``retry_backoff``."""
    return get_exponential_backoff_interval(
        factor=settings.SIM_SYNC_RETRY_BACKOFF_SECONDS,
        retries=retries,
        maximum=SYNC_RETRY_BACKOFF_MAX,
        full_jitter=True,
    )


@shared_task(
    name="sims.tasks.sync_sims",
    autoretry_for=SYNC_RETRY_ERRORS,
    retry_backoff=settings.SIM_SYNC_RETRY_BACKOFF_SECONDS,
    retry_backoff_max=SYNC_RETRY_BACKOFF_MAX,
    max_retries=SYNC_MAX_RETRIES,
)
def sync_sims() -> list[dict]:
    """Mirror every connected organization's SIMs (every 15 minutes). A run that finds 1NCE
    down is retried with backoff; pages already upserted stay, the next run finishes."""
    return [vars(result) for result in services.sync_all()]


def _sync_organization_handler(job: Job):
    def handle(item):
        organization = Organization.objects.get(pk=item.payload["organization_id"])
        result = services.sync_organization(organization=organization)
        return {k: v for k, v in vars(result).items() if k != "conflicts"}

    return handle


@shared_task(bind=True, name="sims.tasks.sync_organization_job")
def sync_organization_job(self, job_id: str) -> None:
    """Run a sync-all job (one item: the organization)."""
    try:
        run_job_task(self, job_id, _sync_organization_handler)
    except Retry:
        raise
    except Exception as exc:
        job = Job.objects.filter(pk=job_id).first()
        if job is not None:
            fail_job(job, error=f"{type(exc).__name__}: the sync could not finish.")
        raise


def _configure_sims_handler(job: Job):
    def handle(item):
        result = services.configure_sims(
            organization=job.organization, items=[item.payload], actor=job.created_by
        )
        outcome = result["sims"][0]
        if outcome["status"] == "failed":
            raise ItemFailed(outcome["reason"])
        return outcome

    return handle


@shared_task(bind=True, name="sims.tasks.configure_sims_job")
def configure_sims_job(self, job_id: str) -> None:
    """Run a chunk of a SIM configuration job; the chunk enqueues the next."""
    run_job_task(self, job_id, _configure_sims_handler)
