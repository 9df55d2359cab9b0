"""Monthly SLA reports per organization: built from the database's figures, kept by the monthly
job, rendered as JSON, CSV or PDF (ReportLab, with a chart of MTTR by day)."""

import csv
import io
from datetime import UTC, date, datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import Organization
from core.errors import InvalidInput
from outages.analytics import sla_report_figures
from outages.models import SlaReport


def parse_month(value: str | None, *, today: date | None = None) -> date:
    """The first day of ``YYYY-MM``; the previous month when not given."""
    if value in (None, ""):
        return previous_month(today or timezone.now().date())
    try:
        parsed = datetime.strptime(str(value), "%Y-%m").date()
    except ValueError:
        parsed = None
    if parsed is None or not 1970 <= parsed.year <= 9998:
        raise InvalidInput(
            {"month": "Use YYYY-MM (1970-9998)."},
            message="month must be YYYY-MM.",
            details={"field": "month"},
        )
    return parsed


def previous_month(today: date) -> date:
    first = today.replace(day=1)
    return (
        first.replace(year=first.year - 1, month=12)
        if first.month == 1
        else first.replace(month=first.month - 1)
    )


def month_bounds(month: date) -> tuple[datetime, datetime]:
    start = datetime(month.year, month.month, 1, tzinfo=UTC)
    end_month = (month.year + 1, 1) if month.month == 12 else (month.year, month.month + 1)
    return start, datetime(*end_month, 1, tzinfo=UTC)


def build_sla_report(*, organization, month: date) -> dict:
    """The report of ``organization`` for ``month`` as plain JSON data."""
    start, end = month_bounds(month)
    return {
        "organization": {"id": organization.pk, "name": organization.name},
        "month": month.strftime("%Y-%m"),
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "generated_at": timezone.now().isoformat(),
        **sla_report_figures(organization=organization, start=start, end=end),
    }


@transaction.atomic
def store_sla_report(*, organization, month: date) -> SlaReport:
    """Generate and keep the report (a second run for the same month replaces it)."""
    data = build_sla_report(organization=organization, month=month)
    report, _ = SlaReport.objects.update_or_create(
        organization=organization,
        month=month,
        defaults={"data": data, "generated_at": timezone.now()},
    )
    return report


def generate_monthly_reports(*, today: date | None = None) -> list[SlaReport]:
    """The previous month's report of every active organization (the monthly job)."""
    month = previous_month(today or timezone.now().date())
    return [
        store_sla_report(organization=organization, month=month)
        for organization in Organization.objects.filter(is_active=True).order_by("pk")
    ]


def report_for(*, organization, month: date) -> dict:
    """The kept report of the month, else one built now (the month may still be running)."""
    kept = SlaReport.objects.filter(organization=organization, month=month).first()
    if kept is not None:
        return {**kept.data, "stored": True}
    return {**build_sla_report(organization=organization, month=month), "stored": False}


SEVERITY_COLUMNS = [
    "resolved",
    "average_mttr_minutes",
    "sla_met",
    "sla_violated",
    "sla_compliance_rate",
    "penalties",
    "rewards",
    "net",
]
SUMMARY_ROWS = [
    "outages_detected",
    "outages_open",
    "outages_resolved",
    "average_mttr_minutes",
    "median_mttr_minutes",
    "sla_met",
    "sla_violated",
    "sla_compliance_rate",
    "penalties",
    "rewards",
    "net",
]


# Per outage, with where its timestamps came from (evidence or a person).
OUTAGE_COLUMNS = [
    "id",
    "severity",
    "site_id",
    "detected_at",
    "resolved_at",
    "mttr_minutes",
    "sla_status",
    "amount",
    "detected_at_source",
    "resolved_at_source",
]


# A text cell starting with one of these is a formula to a spreadsheet (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value  # read as text, not run (site ids and names are typed by people)
    return str(value)


def render_csv(report: dict) -> str:
    """The report as CSV: a summary, then per severity, terms used and MTTR by day."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["SLA report", _cell(report["organization"]["name"]), report["month"]])
    writer.writerow([])
    writer.writerow(["metric", "value"])
    for key in SUMMARY_ROWS:
        writer.writerow([key, _cell(report.get(key))])
    writer.writerow([])
    writer.writerow(["severity", *SEVERITY_COLUMNS])
    for severity, row in report["by_severity"].items():
        writer.writerow([severity, *(_cell(row.get(c)) for c in SEVERITY_COLUMNS)])
    writer.writerow([])
    writer.writerow(
        [
            "severity",
            "config_version",
            "threshold_minutes",
            "penalty_per_minute",
            "reward_base",
            "results",
        ]
    )
    for row in report["config_versions"]:
        writer.writerow(
            [
                row["severity"],
                row["version"],
                row["threshold_minutes"],
                _cell(row["penalty_per_minute"]),
                _cell(row["reward_base"]),
                row["results"],
            ]
        )
    writer.writerow([])
    writer.writerow(OUTAGE_COLUMNS)
    for row in report.get("outages", []):
        writer.writerow([_cell(row.get(c)) for c in OUTAGE_COLUMNS])
    writer.writerow([])
    writer.writerow(["date", "average_mttr_minutes", "resolved"])
    for row in report["mttr_by_day"]:
        writer.writerow([row["date"], _cell(row["average_mttr_minutes"]), row["count"]])
    return out.getvalue()


def render_pdf(report: dict) -> bytes:
    """The report as a PDF: the figures in tables and a line chart of MTTR by day."""
    from reportlab.graphics.charts.linecharts import HorizontalLineChart
    from reportlab.graphics.shapes import Drawing, String
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = getSampleStyleSheet()
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=f"SLA report {report['month']}",
        author="FleetOps",
        invariant=1,  # the same report renders to the same bytes
    )
    grid = TableStyle(
        [
            ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
            ("FONTSIZE", (0, 0), (-1, -1), 8),
        ]
    )
    story = [
        Paragraph(
            f"SLA report {report['month']}: {report['organization']['name']}", styles["Title"]
        ),
        Paragraph(
            f"Period {report['period']['start']} to {report['period']['end']}", styles["Normal"]
        ),
        Spacer(1, 8),
        Table(
            [
                ["metric", "value"],
                *[[k.replace("_", " "), _cell(report.get(k))] for k in SUMMARY_ROWS],
            ],
            style=grid,
        ),
        Spacer(1, 12),
        Paragraph("By severity", styles["Heading2"]),
        Table(
            [
                ["severity", *(c.replace("_", " ") for c in SEVERITY_COLUMNS)],
                *[
                    [s, *(_cell(r.get(c)) for c in SEVERITY_COLUMNS)]
                    for s, r in report["by_severity"].items()
                ],
            ],
            style=grid,
        ),
        Spacer(1, 12),
        Paragraph("SLA terms used", styles["Heading2"]),
        Table(
            [
                [
                    "severity",
                    "version",
                    "threshold (min)",
                    "penalty / min",
                    "reward base",
                    "results",
                ],
                *[
                    [
                        r["severity"],
                        r["version"],
                        r["threshold_minutes"],
                        _cell(r["penalty_per_minute"]),
                        _cell(r["reward_base"]),
                        r["results"],
                    ]
                    for r in report["config_versions"]
                ],
            ],
            style=grid,
        ),
        Spacer(1, 12),
        Paragraph("Outages and where their timestamps came from", styles["Heading2"]),
        Table(
            [
                ["outage", "severity", "MTTR", "SLA", "detected from", "resolved from"],
                *[
                    [
                        r["id"],
                        r["severity"],
                        r["mttr_minutes"],
                        r["sla_status"],
                        r["detected_at_source"],
                        r["resolved_at_source"],
                    ]
                    for r in report.get("outages", [])[:200]
                ],
            ],
            style=grid,
        ),
        Spacer(1, 12),
        Paragraph("MTTR by day (minutes)", styles["Heading2"]),
    ]
    days = report["mttr_by_day"]
    chart_area = Drawing(480, 200)
    if days:
        chart = HorizontalLineChart()
        chart.x, chart.y, chart.width, chart.height = 40, 30, 420, 150
        chart.data = [[d["average_mttr_minutes"] or 0 for d in days]]
        chart.categoryAxis.categoryNames = [d["date"][8:] for d in days]
        chart.categoryAxis.labels.fontSize = 6
        chart.valueAxis.valueMin = 0
        chart.valueAxis.labels.fontSize = 7
        chart.lines[0].strokeColor = colors.HexColor("#2f6fb0")
        chart.lines[0].strokeWidth = 1.5
        chart_area.add(chart)
    else:
        chart_area.add(String(40, 100, "No outage resolved in this month.", fontSize=10))
    story.append(chart_area)
    document.build(story)
    return buffer.getvalue()
