"""Celery tasks for sites: thin, they call services."""

from celery import shared_task

from core.taskbase import FleetTask
from sites.services import housekeeping


@shared_task(base=FleetTask, name="sites.tasks.settle_site_outages", max_retries=0)
def settle_site_outages() -> dict:
    """Every minute: resolve (or propose resolving) site outages whose SIMs have stayed back
    for the settle time, when no streamed event came to do it."""
    return housekeeping.settle_all()


@shared_task(base=FleetTask, name="sites.tasks.reconcile_site_presence", max_retries=0)
def reconcile_site_presence() -> dict:
    """Apply the periodic connectivity refresh's readings the Data Streamer did not report."""
    return housekeeping.reconcile_all()
