"""Celery tasks for SMS: thin, they call services."""

from celery import shared_task

from core.taskbase import FleetTask
from sms import services

# Both run every few minutes: the next run is the retry.


@shared_task(base=FleetTask, name="sms.tasks.sync_sms", max_retries=0)
def sync_sms() -> dict:
    """Follow MT delivery and mirror MO messages (every 5 minutes)."""
    return vars(services.sync_sms())


@shared_task(base=FleetTask, name="sms.tasks.reconcile_sms", max_retries=0)
def reconcile_sms() -> dict:
    """Settle MT messages whose send answer was lost (every 2 minutes)."""
    return services.reconcile_sms()
