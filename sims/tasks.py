"""Celery tasks for SIMs: thin, they load and call services."""

import structlog
from celery import shared_task

from accounts.models import Organization
from core.models import Job
from core.services import ItemFailed, fail_job, run_job
from sims import services
from upstream.exceptions import UpstreamTimeout, UpstreamUnavailable

logger = structlog.get_logger(__name__)


@shared_task(
    name="sims.tasks.sync_sims",
    autoretry_for=(UpstreamUnavailable, UpstreamTimeout),
    retry_backoff=10,
    max_retries=5,
)
def sync_sims() -> list[dict]:
    """Mirror every connected organization's SIMs (every 15 minutes). A run that finds 1NCE
    down is retried with backoff; pages already upserted stay, the next run finishes."""
    return [vars(result) for result in services.sync_all()]


@shared_task(name="sims.tasks.sync_organization_job", max_retries=3, default_retry_delay=30)
def sync_organization_job(job_id: str) -> None:
    job = Job.objects.get(pk=job_id)

    def handle(item):
        organization = Organization.objects.get(pk=item.payload["organization_id"])
        result = services.sync_organization(organization=organization)
        return {k: v for k, v in vars(result).items() if k != "conflicts"}

    try:
        run_job(job, handle)
    except Exception as exc:
        fail_job(job, error=f"{type(exc).__name__}: the sync could not finish.")
        raise


@shared_task(name="sims.tasks.configure_sims_job")
def configure_sims_job(job_id: str) -> None:
    job = Job.objects.select_related("organization", "created_by").get(pk=job_id)

    def handle(item):
        result = services.configure_sims(
            organization=job.organization, items=[item.payload], actor=job.created_by
        )
        outcome = result["sims"][0]
        if outcome["status"] == "failed":
            raise ItemFailed(outcome["reason"])
        return outcome

    run_job(job, handle)
