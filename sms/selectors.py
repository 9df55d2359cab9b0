"""SMS reads for the console."""

from django.db.models import Count, QuerySet

from sms.models import SmsMessage


def status_counts(messages: QuerySet[SmsMessage], *, since) -> dict[str, int]:
    """Messages created since ``since`` per status (one query)."""
    rows = (
        messages.filter(created_at__gte=since).order_by().values("status").annotate(n=Count("id"))
    )
    return {row["status"]: row["n"] for row in rows}
