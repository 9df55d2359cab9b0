"""Scheduler status: every periodic task's schedule, last run and next run.

Runs are recorded from Celery's signals (``task_prerun``, ``task_failure``, ``task_postrun``)
for the tasks declared in ``settings.PERIODIC_TASKS_MODULE`` (``config.schedules``) and for
anything django-celery-beat sends (it tags its messages with ``periodic_task_name``). The
signals fire for eager runs too, so tests and ``CELERY_TASK_ALWAYS_EAGER`` setups record runs
the same way a worker does.
Recording never fails a task: a database error is logged and the task goes on. A task that
returns ``{"skipped": true, ...}`` did nothing on purpose and is recorded as ``skipped``.

``scheduled_job`` reads one periodic task with its recent runs; ``run_scheduled_job`` sends it
now (audited), tagged with its schedule name as beat would.
"""

import json
import sys
import threading
import time
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import structlog
from celery import signals
from celery.exceptions import Retry
from django.db import models, transaction
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from kombu.exceptions import OperationalError as BrokerError

from core import audit
from core.context import Context
from core.errors import NotFound, Unavailable
from core.models import TaskRun, TaskRunOutcome
from core.schedules import Schedule, declared_schedules
from core.services import task_for

logger = structlog.get_logger(__name__)

MAX_ERROR_CHARS = 2000
MAX_RESULT_CHARS = 4000
RECENT_RUNS = 20  # runs listed by ``scheduled_job``

# task_id -> stack of open runs ({pk, started, error}); a stack because an eager retry can
# run the same task id again inside the first run.
_open_runs: dict[str, list[dict]] = {}
_open_runs_lock = threading.Lock()


def _periodic_task_names() -> frozenset[str]:
    return frozenset(schedule.task for schedule in declared_schedules())


def _schedule_name(task) -> str:
    request = task.request
    name = getattr(request, "periodic_task_name", None)
    if not name:
        name = (getattr(request, "headers", None) or {}).get("periodic_task_name")
    return name or ""


@signals.task_prerun.connect(dispatch_uid="core.scheduler.task_started")
def task_started(sender=None, task_id=None, task=None, **kwargs):
    if task is None or task_id is None:
        return
    schedule_name = _schedule_name(task)
    if not schedule_name and task.name not in _periodic_task_names():
        return
    try:
        run = TaskRun.objects.create(
            task_id=task_id,
            task=task.name,
            schedule_name=schedule_name,
            started_at=timezone.now(),
            worker=getattr(task.request, "hostname", None) or "",
        )
    except Exception:
        logger.warning("task_run_not_recorded", task=task.name, task_id=task_id, exc_info=True)
        return
    with _open_runs_lock:
        _open_runs.setdefault(task_id, []).append(
            {"pk": run.pk, "started": time.monotonic(), "error": None}
        )


@signals.task_failure.connect(dispatch_uid="core.scheduler.task_failed")
def task_failed(sender=None, task_id=None, exception=None, **kwargs):
    with _open_runs_lock:
        stack = _open_runs.get(task_id)
        if stack:
            stack[-1]["error"] = exception


@signals.task_postrun.connect(dispatch_uid="core.scheduler.task_finished")
def task_finished(sender=None, task_id=None, retval=None, state=None, **kwargs):
    with _open_runs_lock:
        stack = _open_runs.get(task_id)
        if not stack:
            return
        run = stack.pop()
        if not stack:
            del _open_runs[task_id]
    fields = {
        "finished_at": timezone.now(),
        "duration_seconds": round(time.monotonic() - run["started"], 3),
    }
    # A worker sends task_failure first; an eager run that propagates its exception does not,
    # but the exception is still in flight while postrun is sent.
    error = run["error"] or sys.exc_info()[1]
    if state == "RETRY" or isinstance(retval, Retry) or isinstance(error, Retry):
        fields["outcome"] = TaskRunOutcome.RETRY
        fields["error"] = _describe_error(retval if isinstance(retval, Retry) else error)
    elif state == "SUCCESS" and error is None:
        # A task that deliberately did nothing (another run held its lock) says so.
        skipped = isinstance(retval, dict) and retval.get("skipped") is True
        fields["outcome"] = TaskRunOutcome.SKIPPED if skipped else TaskRunOutcome.SUCCESS
        fields["result"] = _json_result(retval)
    else:
        fields["outcome"] = TaskRunOutcome.FAILURE
        fields["error"] = _describe_error(error if error is not None else retval)
    try:
        TaskRun.objects.filter(pk=run["pk"]).update(**fields)
    except Exception:
        logger.warning("task_run_not_updated", run=run["pk"], exc_info=True)


def _describe_error(exc) -> str:
    if exc is None:
        return ""
    return f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS]


def _json_result(value):
    """A task's return value if it is a small JSON document (counts), else nothing."""
    try:
        text = json.dumps(value, default=str)
    except (TypeError, ValueError):
        return None
    return value if len(text) <= MAX_RESULT_CHARS and value is not None else None


# --- status -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduledJob:
    name: str
    task: str
    description: str
    schedule: str  # human readable
    schedule_type: str  # interval, crontab, solar, clocked
    expression: str  # "3600s" or "0 2 * * * UTC"
    enabled: bool
    registered: bool  # present in django-celery-beat (setup_periodic_tasks has run)
    declared: bool  # present in settings.PERIODIC_TASKS_MODULE
    expires_seconds: int | None
    total_run_count: int
    last_run: TaskRun | None
    next_run_at: datetime | None
    recent_runs: tuple[TaskRun, ...] = ()  # newest first; filled by ``scheduled_job`` only


def scheduler_status(*, now: datetime | None = None) -> list[ScheduledJob]:
    """Every periodic task (declared or added in the admin), ordered by name, with its last
    recorded run and the next run django-celery-beat will send. Three queries."""
    return _scheduled_jobs(now=now or timezone.now())


def scheduled_job(name: str, *, now: datetime | None = None, runs: int = RECENT_RUNS):
    """The periodic task ``name`` as ``scheduler_status`` shows it, with its ``runs`` most
    recent runs (newest first); ``NotFound`` for a name neither declared nor registered."""
    jobs = _scheduled_jobs(now=now or timezone.now(), name=name)
    if not jobs:
        raise NotFound(f"No periodic task named {name!r}.")
    recent = TaskRun.objects.filter(task=jobs[0].task).order_by("-started_at", "-id")[:runs]
    return replace(jobs[0], recent_runs=tuple(recent))


@dataclass(frozen=True)
class SentRun:
    name: str
    task: str
    task_id: str


def run_scheduled_job(*, name: str, context: Context) -> SentRun:
    """Send the periodic task ``name`` now, with its arguments, tagged with its schedule name
    (its run is recorded under it, as beat's are). ``NotFound`` for an unknown name,
    ``Unavailable`` when the broker cannot take the message (then nothing is sent or audited)."""
    job = scheduled_job(name, runs=0)
    periodic = PeriodicTask.objects.filter(name=name).first()
    args = json.loads(periodic.args or "[]") if periodic is not None else []
    kwargs = json.loads(periodic.kwargs or "{}") if periodic is not None else {}
    task_id = str(uuid.uuid4())
    # The audit entry and the message go together: a broker that is down leaves neither.
    with transaction.atomic():
        audit.record(
            operation="run_scheduled_job",
            resource_type="periodic_task",
            resource_id=name,
            context=context,
            request_body={"task": job.task, "task_id": task_id},
        )
        try:
            task_for(job.task).apply_async(
                args=args,
                kwargs=kwargs,
                task_id=task_id,
                headers={"periodic_task_name": name},
                expires=job.expires_seconds,
                retry=False,
            )
        except (BrokerError, OSError) as exc:
            logger.error("scheduled_job_not_sent", name=name, task=job.task, error=str(exc))
            raise Unavailable(
                "The task queue is unavailable; nothing was sent. Retry shortly."
            ) from exc
    logger.info("scheduled_job_sent", name=name, task=job.task, task_id=task_id)
    return SentRun(name=name, task=job.task, task_id=task_id)


def set_scheduled_job_enabled(*, name: str, enabled: bool, context: Context) -> None:
    """Turn the periodic task ``name`` on or off (beat reloads its schedule on the change),
    audited; ``NotFound`` for an unknown name."""
    with transaction.atomic():
        periodic = PeriodicTask.objects.select_for_update().filter(name=name).first()
        if periodic is None:
            raise NotFound(f"No periodic task named {name!r}.")
        periodic.enabled = enabled
        periodic.save(update_fields=["enabled"])
        audit.record(
            operation="enable_scheduled_job" if enabled else "disable_scheduled_job",
            resource_type="periodic_task",
            resource_id=name,
            context=context,
            request_body={"enabled": enabled},
        )


def _scheduled_jobs(*, now: datetime, name: str | None = None) -> list[ScheduledJob]:
    declared = {
        schedule.name: schedule
        for schedule in declared_schedules()
        if name is None or schedule.name == name
    }
    periodic_tasks = PeriodicTask.objects.select_related("interval", "crontab", "solar", "clocked")
    if name is not None:
        periodic_tasks = periodic_tasks.filter(name=name)
    registered = {
        task.name: task
        # Celery's own housekeeping entry is not one of ours.
        for task in periodic_tasks.exclude(task="celery.backend_cleanup")
    }
    tasks = {s.task for s in declared.values()} | {t.task for t in registered.values()}
    last_ids = (
        TaskRun.objects.filter(task__in=tasks)
        .values("task")
        .annotate(last_id=models.Max("id"))
        .values_list("last_id", flat=True)
    )
    last_runs = {run.task: run for run in TaskRun.objects.filter(pk__in=list(last_ids))}

    jobs = []
    for name in sorted(declared.keys() | registered.keys()):
        periodic = registered.get(name)
        schedule = declared.get(name)
        if periodic is not None:
            jobs.append(_from_periodic_task(periodic, schedule, last_runs, now))
        else:
            jobs.append(_from_declaration(schedule, last_runs))
    return jobs


def _from_periodic_task(periodic, schedule: Schedule | None, last_runs, now) -> ScheduledJob:
    kind, expression, text = describe_periodic_task(periodic)
    return ScheduledJob(
        name=periodic.name,
        task=periodic.task,
        description=periodic.description or (schedule.description if schedule else ""),
        schedule=text,
        schedule_type=kind,
        expression=expression,
        enabled=periodic.enabled,
        registered=True,
        declared=schedule is not None,
        expires_seconds=periodic.expire_seconds,
        total_run_count=periodic.total_run_count,
        last_run=last_runs.get(periodic.task),
        next_run_at=next_run_at(periodic, now=now),
    )


def _from_declaration(schedule: Schedule, last_runs) -> ScheduledJob:
    if schedule.every_seconds:
        kind, expression = "interval", f"{schedule.every_seconds}s"
        text = describe_interval(schedule.every_seconds)
    else:
        kind, expression = "crontab", f"{schedule.crontab} UTC"
        text = describe_crontab(*schedule.crontab.split(), tz="UTC")
    return ScheduledJob(
        name=schedule.name,
        task=schedule.task,
        description=schedule.description,
        schedule=text,
        schedule_type=kind,
        expression=expression,
        enabled=False,  # beat knows nothing of it until setup_periodic_tasks runs
        registered=False,
        declared=True,
        expires_seconds=schedule.expires_seconds,
        total_run_count=0,
        last_run=last_runs.get(schedule.task),
        next_run_at=None,
    )


def next_run_at(periodic: PeriodicTask, *, now: datetime) -> datetime | None:
    """When beat will next send ``periodic``, computed as beat's ``ModelEntry`` does."""
    if not periodic.enabled:
        return None
    if periodic.one_off and periodic.total_run_count > 0:
        return None
    if periodic.expires is not None and now >= periodic.expires:
        return None
    try:
        schedule = periodic.schedule
        schedule.nowfun = lambda: now  # beat's "now" is this moment, not the clock's
        last_run = periodic.last_run_at or periodic.date_changed or now
        remaining = schedule.remaining_estimate(last_run)
    except Exception:  # a schedule beat itself could not evaluate
        logger.warning("next_run_unknown", task=periodic.name, exc_info=True)
        return None
    upcoming = now + max(remaining, timedelta(0))
    if periodic.start_time is not None and upcoming < periodic.start_time:
        upcoming = periodic.start_time
    return upcoming


# --- human-readable schedules --------------------------------------------------------------

_PERIOD_SECONDS = {
    IntervalSchedule.DAYS: 86400,
    IntervalSchedule.HOURS: 3600,
    IntervalSchedule.MINUTES: 60,
    IntervalSchedule.SECONDS: 1,
    IntervalSchedule.MICROSECONDS: 1e-6,
}
_UNITS = [(86400, "day"), (3600, "hour"), (60, "minute"), (1, "second")]
_WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]


def describe_periodic_task(periodic: PeriodicTask) -> tuple[str, str, str]:
    """``(schedule_type, expression, human text)`` of a django-celery-beat entry."""
    if periodic.interval is not None:
        seconds = periodic.interval.every * _PERIOD_SECONDS[periodic.interval.period]
        return "interval", f"{seconds:g}s", describe_interval(seconds)
    if periodic.crontab is not None:
        c = periodic.crontab
        fields = (c.minute, c.hour, c.day_of_month, c.month_of_year, c.day_of_week)
        tz = str(c.timezone)
        return "crontab", f"{' '.join(fields)} {tz}", describe_crontab(*fields, tz=tz)
    if periodic.solar is not None:
        s = periodic.solar
        text = f"at {s.event.replace('_', ' ')} ({s.latitude}, {s.longitude})"
        return "solar", s.event, text
    if periodic.clocked is not None:
        moment = periodic.clocked.clocked_time
        return "clocked", moment.isoformat(), f"once at {moment:%Y-%m-%d %H:%M} UTC"
    return "unknown", "", "no schedule"


def describe_interval(seconds: float) -> str:
    """``3600`` -> "every hour", ``900`` -> "every 15 minutes"."""
    for size, unit in _UNITS:
        if seconds >= size and seconds % size == 0:
            count = int(seconds // size)
            return f"every {unit}" if count == 1 else f"every {count} {unit}s"
    return f"every {seconds:g} seconds"


def describe_crontab(minute, hour, day_of_month, month_of_year, day_of_week, *, tz="UTC") -> str:
    """Common crontab shapes in words; anything else as the expression itself."""
    every_day = day_of_month == "*" and month_of_year == "*"
    if every_day and day_of_week == "*":
        if minute == "*" and hour == "*":
            return "every minute"
        if minute.startswith("*/") and hour == "*":
            return f"every {minute[2:]} minutes"
        if minute.isdigit() and hour == "*":
            return f"every hour at minute {int(minute)}"
        if minute.isdigit() and hour.isdigit():
            return f"daily at {int(hour):02d}:{int(minute):02d} {tz}"
    if every_day and minute.isdigit() and hour.isdigit() and day_of_week.isdigit():
        day = _WEEKDAYS[int(day_of_week) % 7]
        return f"weekly on {day} at {int(hour):02d}:{int(minute):02d} {tz}"
    return f"cron '{minute} {hour} {day_of_month} {month_of_year} {day_of_week}' ({tz})"
