"""Celery tasks for SIMs: thin, they load and call services."""

import structlog
from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings

from accounts.models import Organization
from core.context import Context
from core.models import Job
from core.services import ItemFailed, ItemRetryLater, run_job_task
from core.taskbase import MAX_RETRIES, RETRY_BACKOFF_MAX_SECONDS, FleetTask, JobTask
from sims import services
from sims.services.jobs import sim_operation_handler
from upstream.exceptions import UpstreamTimeout, UpstreamUnavailable

logger = structlog.get_logger(__name__)


# How a sync that finds 1NCE down is retried, by the task and by ``manage.py sync_sims``
# alike: the shared task policy (core.taskbase), its first delay SIM_SYNC_RETRY_BACKOFF_SECONDS.
SYNC_RETRY_ERRORS = (UpstreamUnavailable, UpstreamTimeout)
SYNC_MAX_RETRIES = MAX_RETRIES
SYNC_RETRY_BACKOFF_MAX = RETRY_BACKOFF_MAX_SECONDS


def sync_retry_delay(retries: int) -> int:
    """Seconds to wait before retry number ``retries + 1``, as Celery's ``retry_backoff``."""
    return get_exponential_backoff_interval(
        factor=settings.SIM_SYNC_RETRY_BACKOFF_SECONDS,
        retries=retries,
        maximum=SYNC_RETRY_BACKOFF_MAX,
        full_jitter=True,
    )


@shared_task(
    base=FleetTask,
    name="sims.tasks.sync_sims",
    retry_backoff=settings.SIM_SYNC_RETRY_BACKOFF_SECONDS,
)
def sync_sims() -> list[dict]:
    """Mirror every connected organization's SIMs (every 15 minutes). A run that finds 1NCE
    down is retried with backoff; pages already upserted stay, the next run finishes."""
    return [vars(result) for result in services.sync_all()]


# The next run, 15 minutes away, is the retry; each run reads the SIMs read longest ago.
@shared_task(base=FleetTask, name="sims.tasks.refresh_connectivity", max_retries=0)
def refresh_connectivity() -> dict:
    """Read the connectivity (RAT, country, operator) of the SIMs read longest ago, bounded
    per run (every 15 minutes)."""
    return services.refresh_fleet_connectivity().as_dict()


def _sync_organization_handler(job: Job):
    def handle(item):
        organization = Organization.objects.get(pk=item.payload["organization_id"])
        try:
            result = services.sync_organization(organization=organization)
        except SYNC_RETRY_ERRORS as exc:
            raise ItemRetryLater from exc  # 1NCE down: the task retries the whole sync
        return {k: v for k, v in vars(result).items() if k != "conflicts"}

    return handle


@shared_task(
    base=JobTask,
    bind=True,
    name="sims.tasks.sync_organization_job",
    retry_backoff=settings.SIM_SYNC_RETRY_BACKOFF_SECONDS,
)
def sync_organization_job(self, job_id: str) -> None:
    """Run a sync-all job (one item: the organization); a 1NCE outage is retried with
    backoff, and fails the job once the retries are spent."""
    run_job_task(self, job_id, _sync_organization_handler)


def _configure_sims_handler(job: Job):
    def handle(item):
        result = services.configure_sims(
            organization=job.organization,
            items=[item.payload],
            context=Context.system(actor=job.created_by, via="task"),
        )
        outcome = result["sims"][0]
        if outcome["status"] == "failed":
            raise ItemFailed(outcome["reason"])
        return outcome

    return handle


@shared_task(base=JobTask, bind=True, name="sims.tasks.configure_sims_job")
def configure_sims_job(self, job_id: str) -> None:
    """Run a chunk of a SIM configuration job; the chunk enqueues the next."""
    run_job_task(self, job_id, _configure_sims_handler)


@shared_task(base=JobTask, bind=True, name="sims.tasks.sim_operation_job")
def sim_operation_job(self, job_id: str) -> None:
    """Run a chunk of a bulk sync or reset job (the job's kind says which); the chunk
    enqueues the next."""
    run_job_task(self, job_id, sim_operation_handler)
