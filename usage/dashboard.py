"""Usage panels: the fleet's daily trend (data and SMS) and this month's top consumers."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from core.dashboard import (
    Chart,
    DashboardScope,
    PanelContent,
    Series,
    Stat,
    Table,
    register_panel,
)
from core.humanize import human_bytes, human_count
from usage.selectors import scoped_daily_totals, top_consumers

MB = 1024 * 1024


@register_panel(
    "usage.trend", title="Usage, last 90 days", group="Usage & quotas", order=10, cached=True
)
def usage_trend(scope: DashboardScope) -> PanelContent:
    today = timezone.localdate()
    start = today - timedelta(days=89)
    days = scoped_daily_totals(organization_ids=scope.organization_ids, start=start, end=today)
    rollup = reverse("admin:usage_organizationdailyusage_changelist")
    last_30 = [d for d in days if d.date > today - timedelta(days=30)]
    return PanelContent(
        stats=[
            Stat(
                "Data, 30 days",
                human_bytes(sum(d.volume for d in last_30)),
                f"{rollup}?date__gte={today - timedelta(days=29)}",
            ),
            Stat(
                "Data, 90 days",
                human_bytes(sum(d.volume for d in days)),
                f"{rollup}?date__gte={start}",
            ),
            Stat(
                "SMS, 30 days",
                human_count(sum(d.mo + d.mt for d in last_30)),
                f"{rollup}?date__gte={today - timedelta(days=29)}",
            ),
            Stat(
                "SMS, 90 days",
                human_count(sum(d.mo + d.mt for d in days)),
                f"{rollup}?date__gte={start}",
            ),
        ],
        chart=Chart(
            kind="line",
            labels=[d.date.isoformat() for d in days],
            series=[
                Series("Data", [round(d.volume / MB, 1) for d in days], "MB"),
                Series("SMS", [d.mo + d.mt for d in days], "SMS", axis="y2"),
            ],
            url=rollup,
            links=[f"{rollup}?date={d.date.isoformat()}" for d in days],
        ),
    )


@register_panel(
    "usage.top", title="Top consumers this month", group="Usage & quotas", order=20, cached=True
)
def top_consumers_panel(scope: DashboardScope) -> PanelContent:
    today = timezone.localdate()
    rows = top_consumers(
        organization_ids=scope.organization_ids, month=today.replace(day=1), limit=10
    )
    return PanelContent(
        table=Table(
            columns=["SIM", "Label", "Data", "SMS"],
            rows=[[r.iccid, r.label, human_bytes(r.volume), human_count(r.sms)] for r in rows],
            links=[reverse("admin:sims_sim_change", args=[r.sim_id]) for r in rows],
            empty="No usage this month yet.",
        )
    )
