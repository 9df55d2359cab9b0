"""SMS reads: a SIM's messages, the sends whose outcome is not settled, console counts."""

from datetime import timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from sims.models import Sim
from sms.models import FINAL_STATUSES, SmsDirection, SmsMessage, SmsSubmission

# A queued row younger than this may belong to a send still in flight.
QUEUED_GRACE = timedelta(minutes=2)


def messages_of(*, sim: Sim) -> QuerySet[SmsMessage]:
    """The SIM's messages, MO and MT (the API orders and filters them)."""
    return SmsMessage.objects.filter(sim=sim).select_related("sim")


def unsettled(*, sims=None):
    """MT messages whose send outcome is not settled: unknown ones, and queued ones left by a
    process that died (younger queued ones may still be on their way)."""
    wanted = Q(submission=SmsSubmission.UNKNOWN) | Q(
        submission=SmsSubmission.QUEUED, created_at__lt=timezone.now() - QUEUED_GRACE
    )
    rows = SmsMessage.objects.filter(wanted, direction=SmsDirection.MT).exclude(
        status__in=FINAL_STATUSES
    )
    return rows if sims is None else rows.filter(sim__in=sims)


def status_counts(messages: QuerySet[SmsMessage], *, since) -> dict[str, int]:
    """Messages created since ``since`` per status (one query)."""
    rows = (
        messages.filter(created_at__gte=since).order_by().values("status").annotate(n=Count("id"))
    )
    return {row["status"]: row["n"] for row in rows}
