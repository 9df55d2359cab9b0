"""Celery tasks for quotas: thin, they load and call services."""

import structlog
from celery import shared_task

from core.services import run_job_task
from core.taskbase import FleetTask, JobTask
from quotas import services
from quotas.services.bulk import bulk_topup_handler

logger = structlog.get_logger(__name__)


@shared_task(base=FleetTask, name="quotas.tasks.check_quotas")
def check_quotas() -> dict:
    """Evaluate thresholds and run auto top-up rules (every 30 minutes)."""
    return services.check_quotas()


# The next run, 15 minutes away, is the retry; each run reads the SIMs read longest ago.
@shared_task(base=FleetTask, name="quotas.tasks.refresh_quotas", max_retries=0)
def refresh_quotas() -> dict:
    """Read the quotas of the SIMs read longest ago from 1NCE, bounded per run (every 15
    minutes)."""
    return services.refresh_fleet_quotas().as_dict()


# The next run, two minutes away, is the retry.
@shared_task(base=FleetTask, name="quotas.tasks.reconcile_topups", max_retries=0)
def reconcile_topups() -> dict:
    """Settle top-up calls whose outcome was lost, for every SIM (every 2 minutes)."""
    return vars(services.settle_topups())


@shared_task(base=JobTask, bind=True, name="quotas.tasks.run_bulk_topup")
def run_bulk_topup_task(self, job_id: str) -> None:
    """Run a chunk of a bulk top-up job; the chunk enqueues the next. Safe to run again: done
    items are skipped, interrupted ones are reconciled with 1NCE before anything is
    repeated."""
    run_job_task(self, job_id, bulk_topup_handler)
