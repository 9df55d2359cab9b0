"""SMS panel: this month's messages, delivered and failed."""

from django.urls import reverse
from django.utils import timezone

from core.dashboard import Chart, DashboardScope, PanelContent, Series, Stat, register_panel
from core.humanize import human_count
from sms.models import SmsMessage, SmsStatus
from sms.selectors import status_counts


@register_panel("sms.delivery", title="SMS this month", group="Messages", order=10, cached=True)
def sms_delivery(scope: DashboardScope) -> PanelContent:
    since = timezone.localtime().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    changelist = reverse("admin:sms_smsmessage_changelist")
    month = f"created_at__gte={since.date().isoformat()}"
    counts = status_counts(scope.filter(SmsMessage.objects.all()), since=since)
    failed = counts.get(SmsStatus.FAILED, 0) + counts.get(SmsStatus.EXPIRED, 0)
    shown = [s for s in SmsStatus if counts.get(s.value)]
    return PanelContent(
        stats=[
            Stat("Messages", human_count(sum(counts.values())), f"{changelist}?{month}"),
            Stat(
                "Delivered",
                human_count(counts.get(SmsStatus.DELIVERED, 0)),
                f"{changelist}?status__exact={SmsStatus.DELIVERED}&{month}",
                tone="ok",
            ),
            Stat(
                "Failed or expired",
                human_count(failed),
                f"{changelist}?status__in=failed,expired&{month}",
                tone="danger" if failed else "ok",
            ),
            Stat(
                "Pending",
                human_count(counts.get(SmsStatus.PENDING, 0) + counts.get(SmsStatus.SENT, 0)),
                f"{changelist}?status__in=pending,sent&{month}",
            ),
        ],
        chart=Chart(
            kind="bar",
            labels=[s.label for s in shown],
            series=[Series("Messages", [counts[s.value] for s in shown], "SMS")],
            url=f"{changelist}?{month}",
            links=[f"{changelist}?status__exact={s.value}&{month}" for s in shown],
        ),
    )
