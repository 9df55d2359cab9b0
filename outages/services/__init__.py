"""Outage writes and rules (HackSoft services): every caller (API, console, tasks, commands)
reaches a rule through the same function."""

from outages.services.evaluation import evaluate_sla
from outages.services.outages import (
    create_outage,
    field_error,
    resolve_outage,
    update_outage,
)
from outages.services.rca import save_rca
from outages.services.reports import (
    generate_monthly_reports,
    parse_month,
    render_csv,
    render_pdf,
    report_for,
    store_sla_report,
)
from outages.services.sla_configs import change_sla_config, current_configs
from outages.services.timeline import add_timeline_entry, record_payment_on_timeline
from outages.services.watch import watch_sla

__all__ = [
    "add_timeline_entry",
    "change_sla_config",
    "create_outage",
    "current_configs",
    "evaluate_sla",
    "field_error",
    "generate_monthly_reports",
    "parse_month",
    "record_payment_on_timeline",
    "render_csv",
    "render_pdf",
    "report_for",
    "resolve_outage",
    "save_rca",
    "store_sla_report",
    "update_outage",
    "watch_sla",
]
