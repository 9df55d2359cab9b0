"""Celery tasks for SMS: thin, they call services."""

from celery import shared_task

from sms import services


@shared_task(name="sms.tasks.sync_sms")
def sync_sms() -> dict:
    """Follow MT delivery and mirror MO messages (every 5 minutes)."""
    return vars(services.sync_sms())
