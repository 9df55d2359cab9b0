"""SIM work that runs as a job: sync-all and large batches of SIM configuration."""

from datetime import timedelta

from django.conf import settings

from core.context import Context
from core.models import Job
from core.services import start_job
from sims.services.clients import onence_credentials_for

SYNC_ALL_KIND = "sims.sync_all"
CONFIGURE_KIND = "sims.configure"


def start_sync_all(*, organization, context: Context) -> tuple[Job, bool]:
    """Queue a sync of the organization's SIMs, or answer the one already queued or running
    (``(job, created)``). Refused with ``UpstreamNotConnected`` before anything is queued
    when the organization has no 1NCE account, and with 503 when the broker cannot take it."""
    onence_credentials_for(organization=organization)
    return start_job(
        kind=SYNC_ALL_KIND,
        task="sims.tasks.sync_organization_job",
        organization=organization,
        created_by=context.actor,
        items=[(organization.slug, {"organization_id": organization.pk})],
        # A sync that has not finished within a task's hard limit was lost with its worker.
        exclusive_for=timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT),
    )


def start_configure_sims(*, organization, items: list[dict], context: Context) -> Job:
    """Configure many SIMs as a job (one item per SIM, in order); 503 when the broker cannot
    take it."""
    onence_credentials_for(organization=organization)
    job, _ = start_job(
        kind=CONFIGURE_KIND,
        task="sims.tasks.configure_sims_job",
        organization=organization,
        created_by=context.actor,
        items=[(f"{i}:{item['iccid']}", item) for i, item in enumerate(items)],
    )
    return job
