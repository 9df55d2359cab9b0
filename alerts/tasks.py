"""Alert and webhook tasks: thin, they call the services."""

from celery import shared_task

from alerts import services
from core.taskbase import FleetTask


@shared_task(base=FleetTask, name="alerts.tasks.drain_webhook", max_retries=0)
def drain_webhook(webhook_pk: int) -> dict:
    """Send one webhook's due deliveries (their retries are scheduled on the rows, not here)."""
    return services.drain(webhook_pk)


@shared_task(base=FleetTask, name="alerts.tasks.send_notification", max_retries=0)
def send_notification(notification_pk: int) -> str | None:
    """One attempt of one alert notification (its retries are scheduled on the row)."""
    return services.send(notification_pk)


@shared_task(base=FleetTask, name="alerts.tasks.sweep_deliveries", max_retries=0)
def sweep_deliveries() -> dict:
    """Every minute: deliveries and notifications that are due (retries) or whose worker
    died mid-send."""
    return {
        "deliveries": services.sweep_due_deliveries(),
        "notifications": services.sweep_due_notifications(),
    }


@shared_task(base=FleetTask, name="alerts.tasks.open_due_alerts", max_retries=0)
def open_due_alerts() -> dict:
    """Every minute: pending alerts whose condition lasted long enough open and notify."""
    return {"opened": services.open_due_alerts()}
