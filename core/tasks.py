import structlog
from celery import shared_task
from django.conf import settings

from core.dashboard import refresh_all as refresh_dashboard_panels
from core.events import dispatch_pending, prune_dispatched_events
from core.idempotency import prune_idempotency_keys
from core.services import (
    prune_finished_jobs,
    prune_task_runs,
    run_registered_cleanups,
    sweep_jobs,
)
from core.taskbase import FleetTask

logger = structlog.get_logger(__name__)


@shared_task(base=FleetTask, name="core.tasks.cleanup")
def cleanup() -> dict:
    """Daily housekeeping: core's records, then what each app registered
    (``core.services.register_cleanup``)."""
    result = {
        "jobs_deleted": prune_finished_jobs(older_than_days=settings.JOB_RETENTION_DAYS),
        "idempotency_keys_deleted": prune_idempotency_keys(),
        "task_runs_deleted": prune_task_runs(older_than_days=settings.JOB_RETENTION_DAYS),
        "events_deleted": prune_dispatched_events(older_than_days=settings.EVENT_RETENTION_DAYS),
        **run_registered_cleanups(),
    }
    logger.info("cleanup_finished", **result)
    return result


# Every few minutes: the next run is the retry.
@shared_task(base=FleetTask, name="core.tasks.sweep_jobs", max_retries=0)
def sweep_jobs_task() -> dict:
    """Every few minutes: re-enqueue jobs whose message or runner was lost."""
    swept = sweep_jobs()
    return {"requeued": len(swept), "job_ids": swept[:20]}


# Enqueued after every commit that published events, and every minute as a sweep.
@shared_task(base=FleetTask, name="core.tasks.dispatch_events", max_retries=0)
def dispatch_events() -> dict:
    """Hand pending outbox events to their consumers (alert rules, webhooks)."""
    return {"dispatched": dispatch_pending()}


# Every minute: the next run is the retry.
@shared_task(base=FleetTask, name="core.tasks.refresh_dashboard", max_retries=0)
def refresh_dashboard() -> dict:
    """Recompute the console dashboard's cached panels for every organization with console
    users and for the superusers' whole-fleet view, so a request finds them fresh."""
    return refresh_dashboard_panels()
