"""Celery tasks for SMS: thin, they call services."""

from celery import shared_task

from core.taskbase import FleetTask
from sms import services
from sms.models import SmsMessage

# Both run every few minutes: the next run is the retry.


@shared_task(base=FleetTask, name="sms.tasks.sync_sms", max_retries=0)
def sync_sms() -> dict:
    """Follow MT delivery and mirror MO messages (every 5 minutes)."""
    return vars(services.sync_sms())


@shared_task(base=FleetTask, name="sms.tasks.reconcile_sms", max_retries=0)
def reconcile_sms() -> dict:
    """Settle MT messages whose send answer was lost (every 2 minutes)."""
    return services.reconcile_sms()


# Once: the periodic sync is the retry and follows the message until it is final.
@shared_task(base=FleetTask, name="sms.tasks.follow_sms", max_retries=0)
def follow_sms(sms_pk: int) -> str | None:
    """Read a just-sent message's status when its delivery is due; its status after."""
    sms = SmsMessage.objects.select_related("sim__organization").filter(pk=sms_pk).first()
    if sms is None:
        return None
    return services.follow_up(sms=sms).status
