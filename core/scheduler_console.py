"""The console's scheduler page: every periodic task in words, its runs, enable/disable, run now.

Superusers only: the schedule is the platform's, not an organization's.
"""

from collections import defaultdict
from datetime import timedelta

import structlog
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from core.console import run_operation
from core.context import Context
from core.models import TaskRun, TaskRunOutcome
from core.scheduler import run_scheduled_job, scheduler_status, set_scheduled_job_enabled
from core.schedules import task_name

logger = structlog.get_logger(__name__)
RECENT_RUNS = 5


def failures_since(since) -> dict[str, int]:
    """Failed runs per task since ``since`` (one query)."""
    rows = (
        TaskRun.objects.filter(started_at__gte=since, outcome=TaskRunOutcome.FAILURE)
        .values("task")
        .annotate(failed=Count("id"))
        .order_by()
    )
    return {row["task"]: row["failed"] for row in rows}


def recent_runs(tasks, *, per_task: int = RECENT_RUNS) -> dict[str, list[TaskRun]]:
    """The last ``per_task`` runs of each task (one query, bounded by a window function)."""
    from django.db.models import F, Window
    from django.db.models.functions import RowNumber

    ranked = TaskRun.objects.filter(task__in=list(tasks)).annotate(
        rank=Window(RowNumber(), partition_by=[F("task")], order_by=[F("started_at").desc()])
    )
    runs = defaultdict(list)
    for run in ranked.filter(rank__lte=per_task).order_by("task", "-started_at"):
        runs[run.task].append(run)
    return runs


def scheduler_rows(*, now=None) -> list[dict]:
    now = now or timezone.now()
    jobs = scheduler_status(now=now)
    failed = failures_since(now - timedelta(hours=24))
    runs = recent_runs({job.task for job in jobs})
    ids = dict(
        PeriodicTask.objects.filter(name__in=[j.name for j in jobs]).values_list("name", "id")
    )
    return [
        {
            "job": job,
            "title": task_name(job.task, job.name),
            "id": ids.get(job.name),
            "failed_24h": failed.get(job.task, 0),
            "runs": runs.get(job.task, []),
        }
        for job in jobs
    ]


def scheduler_page(site):
    def view(request):
        if not request.user.is_superuser:
            raise PermissionDenied
        if request.method == "POST":
            return _act(request)
        context = {
            **site.each_context(request),
            "title": "Scheduler",
            "rows": scheduler_rows(),
        }
        return TemplateResponse(request, "admin/fleetops/scheduler.html", context)

    return view


def _act(request):
    periodic = PeriodicTask.objects.filter(pk=request.POST.get("task")).first()
    if periodic is None:
        messages.error(request, "No such periodic task.")
        return redirect("admin:scheduler")
    operation = request.POST.get("operation")
    context = Context.from_request(request, via="console")
    if operation in ("enable", "disable"):
        run_operation(
            request,
            f"“{task_name(periodic.task, periodic.name)}” {operation}d.",
            lambda: set_scheduled_job_enabled(
                name=periodic.name, enabled=operation == "enable", context=context
            ),
        )
    elif operation == "run":
        run_operation(
            request,
            f"“{task_name(periodic.task, periodic.name)}” queued now (task {{result.task_id}}).",
            lambda: run_scheduled_job(name=periodic.name, context=context),
        )
    else:
        messages.error(request, "Unknown operation.")
    return redirect("admin:scheduler")
