"""Celery tasks for outages: thin, they call services."""

from celery import shared_task

from core.context import Context
from core.taskbase import FleetTask
from outages import services


@shared_task(base=FleetTask, name="outages.tasks.watch_sla", max_retries=0)
def watch_sla() -> dict:
    """Every minute: flag outages about to breach and breached, once each; evaluate resolved
    outages left without a result."""
    report = services.watch_sla(context=Context.system(via="task"))
    return {"warned": report.warned, "breached": report.breached, "evaluated": report.evaluated}


@shared_task(base=FleetTask, name="outages.tasks.generate_monthly_sla_reports")
def generate_monthly_sla_reports() -> list[int]:
    """On the 1st: keep every organization's SLA report of the previous month (idempotent: a
    rerun replaces the month's report)."""
    return [report.pk for report in services.generate_monthly_reports()]
