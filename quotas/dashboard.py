"""Quota panels: quotas over their threshold or depleted; top-ups and spend this month."""

from django.urls import reverse
from django.utils import timezone

from core.dashboard import Chart, DashboardScope, PanelContent, Series, Stat, register_panel
from core.humanize import human_bytes, human_count
from quotas.models import Quota, QuotaStatus, QuotaType, TopUp, TopUpStatus
from quotas.selectors import quota_counts, topup_totals
from sims.models import Order
from sims.selectors import order_spend


def month_start():
    return timezone.localtime().replace(day=1, hour=0, minute=0, second=0, microsecond=0)


@register_panel("quotas.health", title="Quotas", group="Usage & quotas", order=30, cached=True)
def quota_health(scope: DashboardScope) -> PanelContent:
    changelist = reverse("admin:quotas_quota_changelist")
    counts = quota_counts(scope.filter(Quota.objects.all(), "sim__organization_id"))
    stats, over, empty = [], [], []
    for quota_type in QuotaType:
        row = counts.get(quota_type.value, {"over_threshold": 0, "depleted": 0})
        over.append(row["over_threshold"])
        empty.append(row["depleted"])
        stats.append(
            Stat(
                f"{quota_type.label} over threshold",
                human_count(row["over_threshold"]),
                f"{changelist}?quota_type__exact={quota_type.value}&threshold=reached",
                tone="warning" if row["over_threshold"] else "ok",
            )
        )
        stats.append(
            Stat(
                f"{quota_type.label} depleted",
                human_count(row["depleted"]),
                f"{changelist}?quota_type__exact={quota_type.value}&threshold=depleted",
                tone="danger" if row["depleted"] else "ok",
            )
        )
    return PanelContent(
        stats=stats,
        chart=Chart(
            kind="bar",
            labels=[quota_type.label for quota_type in QuotaType],
            series=[Series("Over threshold", over, "SIMs"), Series("Depleted", empty, "SIMs")],
            url=f"{changelist}?threshold=reached",
            links=[
                f"{changelist}?quota_type__exact={t.value}&threshold=reached" for t in QuotaType
            ],
        ),
        note=f"Exhausted at 1NCE: shown as depleted ({QuotaStatus.EXHAUSTED.label}).",
    )


@register_panel(
    "quotas.topups", title="Top-ups this month", group="Usage & quotas", order=40, cached=True
)
def topups_this_month(scope: DashboardScope) -> PanelContent:
    since = month_start()
    changelist = reverse("admin:quotas_topup_changelist")
    month = f"created_at__gte={since.date().isoformat()}"
    totals = topup_totals(scope.filter(TopUp.objects.all()), since=since)
    data = totals.get(QuotaType.DATA, {})
    sms = totals.get(QuotaType.SMS, {})
    failed = (data.get("failed") or 0) + (sms.get("failed") or 0)
    spend = order_spend(scope.filter(Order.objects.all()), since=since)
    orders = reverse("admin:sims_order_changelist")
    stats = [
        Stat(
            "Top-ups",
            human_count((data.get("count") or 0) + (sms.get("count") or 0)),
            f"{changelist}?status__exact={TopUpStatus.COMPLETED}&{month}",
        ),
        Stat(
            "Packages",
            human_count((data.get("packages") or 0) + (sms.get("packages") or 0)),
            f"{changelist}?status__exact={TopUpStatus.COMPLETED}&{month}",
        ),
        Stat(
            "Data bought",
            human_bytes(data.get("volume") or 0),
            f"{changelist}?quota_type__exact=data&status__exact={TopUpStatus.COMPLETED}&{month}",
        ),
        Stat(
            "SMS bought",
            human_count(sms.get("volume") or 0),
            f"{changelist}?quota_type__exact=sms&status__exact={TopUpStatus.COMPLETED}&{month}",
        ),
        Stat(
            "Failed",
            human_count(failed),
            f"{changelist}?status__exact={TopUpStatus.FAILED}&{month}",
            tone="danger" if failed else "ok",
        ),
    ]
    stats += [
        Stat(f"Spend ({currency or '?'})", f"{total:,.2f}", f"{orders}?{month}")
        for currency, total in spend
    ] or [Stat("Spend on orders", "0.00", f"{orders}?{month}")]
    return PanelContent(stats=stats)
