"""Celery tasks for quotas: thin, they load and call services."""

import structlog
from celery import shared_task
from django.db import OperationalError

from core.models import Job
from core.services import fail_job, run_job_task
from quotas import services
from quotas.services.bulk import bulk_topup_handler

logger = structlog.get_logger(__name__)


@shared_task(name="quotas.tasks.check_quotas")
def check_quotas() -> dict:
    """Evaluate thresholds and run auto top-up rules (every 30 minutes)."""
    return services.check_quotas()


@shared_task(name="quotas.tasks.reconcile_topups")
def reconcile_topups() -> dict:
    """Settle top-up calls whose outcome was lost, for every SIM (every 2 minutes)."""
    return vars(services.settle_topups())


@shared_task(
    bind=True,
    name="quotas.tasks.run_bulk_topup",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def run_bulk_topup_task(self, job_id: str) -> None:
    """Run a chunk of a bulk top-up job; the chunk enqueues the next. Safe to run again: done
    items are skipped, interrupted ones are reconciled with 1NCE before anything is
    repeated."""
    try:
        run_job_task(self, job_id, bulk_topup_handler)
    except OperationalError:
        job = Job.objects.filter(pk=job_id).first()
        if job is not None and self.request.retries >= self.max_retries:
            fail_job(job, error="The bulk top-up could not finish (database unavailable).")
        raise
