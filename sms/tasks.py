"""Celery tasks for SMS: thin, they call services."""

from celery import shared_task

from sms import services


@shared_task(name="sms.tasks.sync_sms")
def sync_sms() -> dict:
    """Follow MT delivery and mirror MO messages (every 5 minutes)."""
    return vars(services.sync_sms())


@shared_task(name="sms.tasks.reconcile_sms")
def reconcile_sms() -> dict:
    """Settle MT messages whose send answer was lost (every 2 minutes)."""
    return services.reconcile_sms()
