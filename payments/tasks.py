"""Celery tasks for payments: thin, they call services."""

from celery import shared_task

from core.taskbase import FleetTask
from payments import services


@shared_task(base=FleetTask, name="payments.tasks.follow_payments", max_retries=0)
def follow_payments() -> dict:
    """Settle submitted payments and attestations from the ledger (every minute; the next run
    is the retry)."""
    return services.follow_payments()
