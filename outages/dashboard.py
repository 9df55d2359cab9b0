"""The console's "Outages & SLA" panels: active outages by severity, breaches this week, MTTR
trend, compliance rate, overdue RCA actions. Each reads through the database's aggregates."""

from datetime import timedelta

from django.db.models import Avg, Count, Q
from django.db.models.functions import TruncWeek
from django.utils import timezone

from core.dashboard import Chart, PanelContent, Series, Stat, Table, register_panel
from outages.analytics import compliance
from outages.models import OPEN_STATUSES, Outage, OutageEvent, RcaAction, Severity

GROUP = "Outages & SLA"
OUTAGES_URL = "/admin/outages/outage/"


@register_panel("outages.active", title="Active outages", group=GROUP, order=10)
def active_outages(scope) -> PanelContent:
    counts = dict(
        scope.filter(Outage.objects.filter(status__in=OPEN_STATUSES))
        .values_list("severity")
        .annotate(n=Count("id"))
        .order_by()
    )
    tones = {"critical": "danger", "high": "warning"}
    return PanelContent(
        stats=[
            Stat(
                label=severity,
                value=counts.get(severity, 0),
                url=f"{OUTAGES_URL}?severity__exact={severity}&status__exact=active",
                tone=tones.get(severity, "") if counts.get(severity) else "ok",
            )
            for severity in Severity.values
        ],
        chart=Chart(
            kind="doughnut",
            labels=Severity.values,
            series=[Series("active outages", [counts.get(s, 0) for s in Severity.values])],
            url=f"{OUTAGES_URL}?status__exact=active",
        ),
    )


@register_panel("outages.sla", title="SLA this week and month", group=GROUP, order=20, cached=True)
def sla_health(scope) -> PanelContent:
    now = timezone.now()
    week = now - timedelta(days=7)
    breaches = scope.filter(
        OutageEvent.objects.filter(kind="sla.breached", occurred_at__gte=week)
    ).count()
    violated_week = scope.filter(
        Outage.objects.filter(sla_met=False, resolved_at__gte=week)
    ).count()
    month = scope.filter(
        Outage.objects.filter(resolved_at__gte=now - timedelta(days=30))
    ).aggregate(
        met=Count("id", filter=Q(sla_met=True)), violated=Count("id", filter=Q(sla_met=False))
    )
    rate = compliance(month["met"], month["violated"])
    return PanelContent(
        stats=[
            Stat("breaches flagged (7 days)", breaches, tone="danger" if breaches else "ok"),
            Stat(
                "SLA violated (7 days)",
                violated_week,
                url=f"{OUTAGES_URL}?sla_met__exact=0",
                tone="warning" if violated_week else "ok",
            ),
            Stat(
                "compliance (30 days)",
                "-" if rate is None else f"{rate} %",
                tone="ok" if rate is None or rate >= 90 else "warning",
            ),
        ]
    )


@register_panel("outages.mttr", title="MTTR trend", group=GROUP, order=30, cached=True)
def mttr_trend(scope) -> PanelContent:
    since = timezone.now() - timedelta(weeks=12)
    rows = (
        scope.filter(Outage.objects.filter(mttr_minutes__isnull=False, detected_at__gte=since))
        .annotate(week=TruncWeek("detected_at"))
        .values("week")
        .annotate(average=Avg("mttr_minutes"))
        .order_by("week")
    )
    labels = [row["week"].date().isoformat() for row in rows]
    return PanelContent(
        chart=Chart(
            kind="line",
            labels=labels,
            series=[Series("average MTTR", [round(row["average"], 1) for row in rows], unit="min")],
            url=OUTAGES_URL,
        ),
        note="Average time to resolve, by week of detection (12 weeks).",
    )


@register_panel("outages.rca_overdue", title="Overdue RCA actions", group=GROUP, order=40)
def overdue_actions(scope) -> PanelContent:
    actions = (
        scope.filter(
            RcaAction.objects.filter(done=False, due_date__lt=timezone.now().date()),
            "rca__outage__organization_id",
        )
        .select_related("rca__outage")
        .order_by("due_date", "id")[:10]
    )
    return PanelContent(
        table=Table(
            columns=["outage", "action", "owner", "due"],
            rows=[
                [a.rca.outage.public_id, a.description, a.owner, a.due_date.isoformat()]
                for a in actions
            ],
            links=[f"/admin/outages/rootcauseanalysis/{a.rca_id}/change/" for a in actions],
            empty="No overdue action.",
        )
    )
