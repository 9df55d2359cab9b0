"""MTTR analytics and the monthly SLA report's figures, computed by the database (aggregates,
``percentile_cont`` for the median, ``TruncDay``/``TruncWeek``), never by looping over rows."""

import statistics
from datetime import datetime
from decimal import Decimal

from django.db import NotSupportedError, connection
from django.db.models import Aggregate, Avg, Count, DecimalField, F, FloatField, Q, Sum, Value
from django.db.models.functions import Coalesce, TruncDay, TruncWeek

from outages.models import Outage, Severity, SlaResult, SlaStatus, format_public_id

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
MONEY = DecimalField(max_digits=18, decimal_places=2)
GROUPS = ("site", "severity", "day", "week", "root_cause")
NO_RCA = "unrecorded"


class Median(Aggregate):
    """PostgreSQL's ``percentile_cont(0.5) WITHIN GROUP (ORDER BY x)``."""

    function = "percentile_cont"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def as_sqlite(self, compiler, connection, **extra):
        raise NotSupportedError("percentile_cont needs PostgreSQL")


def has_percentile() -> bool:
    return connection.vendor == "postgresql"


def _money(value) -> float:
    """A Decimal sum to the cent, as a JSON number."""
    return float(Decimal(value).quantize(CENT))


def _round(value, places: int = 1):
    return None if value is None else round(float(value), places)


def compliance(met: int, violated: int):
    evaluated = met + violated
    return round(met * 100 / evaluated, 1) if evaluated else None


def _stats(queryset, mttr: str, met_filter: Q, violated_filter: Q, *, median: bool = True):
    aggregates = {
        "average": Avg(mttr),
        "count": Count(mttr),
        "met": Count(mttr, filter=met_filter),
        "violated": Count(mttr, filter=violated_filter),
    }
    if median and has_percentile():
        aggregates["median"] = Median(mttr)
    return aggregates


def _median_fallback(queryset, mttr: str):
    """Embedded SQLite (``make run`` without PostgreSQL) has no percentile: its small demo
    data set is read once for the median. PostgreSQL never takes this path."""
    values = list(queryset.values_list(mttr, flat=True))
    return statistics.median(values) if values else None


def _group_key(group_by: str):
    return {
        "site": F("site_name"),
        "severity": F("severity"),
        "day": TruncDay("detected_at"),
        "week": TruncWeek("detected_at"),
        "root_cause": Coalesce(F("rca__category"), Value(NO_RCA)),
    }[group_by]


def _label(group_by: str, value) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    return value


def mttr_statistics(
    *,
    organization_ids,
    start: datetime,
    end: datetime,
    severity: str | None = None,
    site_name: str | None = None,
    group_by: str | None = None,
) -> dict:
    """Seed 004's MTTR statistics of the resolved outages detected in [start, end]."""
    outages = Outage.objects.filter(
        detected_at__gte=start, detected_at__lte=end, mttr_minutes__isnull=False
    )
    if organization_ids is not None:
        outages = outages.filter(organization_id__in=organization_ids)
    if severity:
        outages = outages.filter(severity=severity)
    if site_name:
        outages = outages.filter(site_name=site_name)
    aggregates = _stats(outages, "mttr_minutes", Q(sla_met=True), Q(sla_met=False))
    overall = outages.aggregate(**aggregates)
    if "median" not in overall:
        overall["median"] = _median_fallback(outages, "mttr_minutes")
    by_severity = {
        row["severity"]: {
            "average_mttr": _round(row["average"]),
            "count": row["count"],
            "sla_met": row["met"],
            "sla_violated": row["violated"],
            "sla_compliance_rate": compliance(row["met"], row["violated"]),
        }
        for row in outages.values("severity")
        .annotate(
            **_stats(outages, "mttr_minutes", Q(sla_met=True), Q(sla_met=False), median=False)
        )
        .order_by()
    }
    body = {
        "period": {"start": start, "end": end},
        "overall": {
            "average_mttr_minutes": _round(overall["average"]),
            "median_mttr_minutes": _round(overall["median"]),
            "total_outages": overall["count"],
            "sla_met": overall["met"],
            "sla_violated": overall["violated"],
            "sla_compliance_rate": compliance(overall["met"], overall["violated"]),
        },
        "by_severity": {s: by_severity[s] for s in Severity.values if s in by_severity},
    }
    if group_by:
        rows = (
            outages.annotate(group=_group_key(group_by))
            .values("group")
            .annotate(**aggregates)
            .order_by("group")
        )
        groups = []
        for row in rows:
            median = row.get("median")
            if "median" not in row:
                median = _median_fallback(
                    outages.annotate(group=_group_key(group_by)).filter(group=row["group"]),
                    "mttr_minutes",
                )
            groups.append(
                {
                    "key": _label(group_by, row["group"]),
                    "average_mttr": _round(row["average"]),
                    "median_mttr": _round(median),
                    "count": row["count"],
                    "sla_met": row["met"],
                    "sla_violated": row["violated"],
                    "sla_compliance_rate": compliance(row["met"], row["violated"]),
                }
            )
        body["group_by"] = group_by
        body["groups"] = groups
    return body


def sla_report_figures(*, organization, start: datetime, end: datetime) -> dict:
    """The figures of an organization's SLA report over [start, end): outages detected, and
    the SLA results of those resolved in the period (MTTR, compliance, money, terms used)."""
    detected = Outage.objects.filter(
        organization=organization, detected_at__gte=start, detected_at__lt=end
    ).aggregate(
        total=Count("id"),
        still_open=Count("id", filter=Q(resolved_at__isnull=True)),
    )
    results = SlaResult.objects.filter(
        organization=organization, resolved_at__gte=start, resolved_at__lt=end
    )
    met, violated = Q(status=SlaStatus.MET), Q(status=SlaStatus.VIOLATED)
    money = {
        "penalties": Coalesce(
            Sum(-F("amount"), filter=Q(amount__lt=0)), Value(ZERO), output_field=MONEY
        ),
        "rewards": Coalesce(Sum("amount", filter=Q(amount__gt=0)), Value(ZERO), output_field=MONEY),
    }
    aggregates = {**_stats(results, "mttr_minutes", met, violated), **money}
    overall = results.aggregate(**aggregates)
    if "median" not in overall:
        overall["median"] = _median_fallback(results, "mttr_minutes")
    by_severity = {}
    for row in (
        results.values("outage__severity")
        .annotate(**_stats(results, "mttr_minutes", met, violated, median=False), **money)
        .order_by()
    ):
        by_severity[row["outage__severity"]] = {
            "resolved": row["count"],
            "average_mttr_minutes": _round(row["average"]),
            "sla_met": row["met"],
            "sla_violated": row["violated"],
            "sla_compliance_rate": compliance(row["met"], row["violated"]),
            "penalties": _money(row["penalties"]),
            "rewards": _money(row["rewards"]),
            "net": _money(row["rewards"] - row["penalties"]),
        }
    versions = (
        results.values(
            "outage__severity",
            "config__version",
            "config__threshold_minutes",
            "config__penalty_per_minute",
            "config__reward_base",
        )
        .annotate(results=Count("id"))
        .order_by("outage__severity", "config__version")
    )
    # Per outage, whether its timestamps (and so its SLA result) rest on evidence or a person.
    outages = [
        {
            "id": format_public_id(row["outage__number"]),
            "severity": row["outage__severity"],
            "site_id": row["outage__site_id"],
            "detected_at": row["detected_at"].isoformat(),
            "resolved_at": row["resolved_at"].isoformat(),
            "mttr_minutes": row["mttr_minutes"],
            "sla_status": row["status"],
            "amount": float(row["amount"]),
            "detected_at_source": row["outage__detected_at_source"],
            "resolved_at_source": row["outage__resolved_at_source"],
        }
        for row in results.values(
            "outage__number",
            "outage__severity",
            "outage__site_id",
            "detected_at",
            "resolved_at",
            "mttr_minutes",
            "status",
            "amount",
            "outage__detected_at_source",
            "outage__resolved_at_source",
        ).order_by("resolved_at", "outage_id")
    ]
    by_day = (
        results.annotate(day=TruncDay("resolved_at"))
        .values("day")
        .annotate(average=Avg("mttr_minutes"), count=Count("id"))
        .order_by("day")
    )
    return {
        "outages_detected": detected["total"],
        "outages_open": detected["still_open"],
        "outages_resolved": overall["count"],
        "average_mttr_minutes": _round(overall["average"]),
        "median_mttr_minutes": _round(overall["median"]),
        "sla_met": overall["met"],
        "sla_violated": overall["violated"],
        "sla_compliance_rate": compliance(overall["met"], overall["violated"]),
        "penalties": _money(overall["penalties"]),
        "rewards": _money(overall["rewards"]),
        "net": _money(overall["rewards"] - overall["penalties"]),
        "by_severity": {s: by_severity[s] for s in Severity.values if s in by_severity},
        "config_versions": [
            {
                "severity": row["outage__severity"],
                "version": row["config__version"],
                "threshold_minutes": row["config__threshold_minutes"],
                "penalty_per_minute": float(row["config__penalty_per_minute"]),
                "reward_base": float(row["config__reward_base"]),
                "results": row["results"],
            }
            for row in versions
        ],
        "evidence_based": sum(
            1
            for row in outages
            if row["detected_at_source"] == row["resolved_at_source"] == "evidence"
        ),
        "outages": outages,
        "mttr_by_day": [
            {
                "date": row["day"].date().isoformat(),
                "average_mttr_minutes": _round(row["average"]),
                "count": row["count"],
            }
            for row in by_day
        ],
    }
