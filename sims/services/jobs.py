"""SIM work that runs as a job: sync-all and large batches of SIM configuration."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction

from core.models import Job
from core.services import create_exclusive_job, create_job
from sims.services.clients import onence_credentials_for

SYNC_ALL_KIND = "sims.sync_all"
CONFIGURE_KIND = "sims.configure"


def start_sync_all(*, organization, actor=None) -> tuple[Job, bool]:
    """Queue a sync of the organization's SIMs, or answer the one already queued or running
    (``(job, created)``). Refused with ``UpstreamNotConnected`` before anything is queued
    when the organization has no 1NCE account."""
    from sims.tasks import sync_organization_job

    onence_credentials_for(organization=organization)
    job, created = create_exclusive_job(
        kind=SYNC_ALL_KIND,
        organization=organization,
        created_by=actor,
        items=[(organization.slug, {"organization_id": organization.pk})],
        # A sync that has not finished within a task's hard limit was lost with its worker.
        fresh_for=timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT),
    )
    if created:
        transaction.on_commit(lambda: sync_organization_job.delay(job.pk))
    return job, created


def start_configure_sims(*, organization, items: list[dict], actor=None) -> Job:
    """Configure many SIMs as a job (one item per SIM, in order)."""
    from sims.tasks import configure_sims_job

    onence_credentials_for(organization=organization)
    job = create_job(
        kind=CONFIGURE_KIND,
        organization=organization,
        created_by=actor,
        items=[(f"{i}:{item['iccid']}", item) for i, item in enumerate(items)],
    )
    transaction.on_commit(lambda: configure_sims_job.delay(job.pk))
    return job
