"""Core's dashboard panels: jobs in progress and the periodic tasks' health (``Operations``)."""

from datetime import timedelta

from django.contrib.admin.utils import quote
from django.urls import reverse
from django.utils import timezone

from core.dashboard import DashboardScope, PanelContent, Stat, Table, register_panel
from core.humanize import human_ago, human_datetime
from core.job_kinds import job_progress, kind_label
from core.models import Job, JobStatus, TaskRunOutcome
from core.scheduler import scheduler_status
from core.scheduler_console import failures_since
from core.schedules import task_name

ACTIVE_JOBS = (JobStatus.PENDING, JobStatus.PROCESSING)


@register_panel("core.jobs", title="Jobs in progress", group="Operations", order=10)
def jobs_in_progress(scope: DashboardScope) -> PanelContent:
    changelist = reverse("admin:core_job_changelist")
    jobs = scope.filter(Job.objects.filter(status__in=ACTIVE_JOBS)).order_by("-created_at", "id")
    since = timezone.now() - timedelta(hours=24)
    failed = scope.filter(
        Job.objects.filter(status__in=[JobStatus.FAILED, JobStatus.PARTIAL], finished_at__gte=since)
    ).count()
    shown = list(jobs[:8])
    return PanelContent(
        stats=[
            Stat("Running or queued", jobs.count(), f"{changelist}?status__in=pending,processing"),
            Stat(
                "Failed in 24 h",
                failed,
                f"{changelist}?status__in=failed,partial",
                tone="danger" if failed else "ok",
            ),
        ],
        table=Table(
            columns=["Job", "Progress", "Started"],
            rows=[
                [
                    kind_label(job.kind),
                    job_progress(job),
                    human_ago(job.started_at or job.created_at),
                ]
                for job in shown
            ],
            links=[reverse("admin:core_job_change", args=[quote(job.pk)]) for job in shown],
            empty="No job is running.",
        ),
    )


@register_panel("core.sync_health", title="Sync health", group="Operations", order=20)
def sync_health(scope: DashboardScope) -> PanelContent:
    """Each periodic task's last run and outcome, next run and failures in the last 24 h."""
    now = timezone.now()
    jobs = scheduler_status(now=now)
    failed = failures_since(now - timedelta(hours=24))
    superuser = bool(getattr(scope.user, "is_superuser", False))
    runs_url = reverse("admin:core_taskrun_changelist")
    rows, links, unhealthy = [], [], 0
    for job in jobs:
        last = job.last_run
        outcome = last.get_outcome_display() if last else "never ran"
        if (last and last.outcome == TaskRunOutcome.FAILURE) or failed.get(job.task):
            unhealthy += 1
        rows.append(
            [
                task_name(job.task, job.name),
                job.schedule if job.enabled else "disabled",
                f"{outcome}, {human_ago(last.started_at)}" if last else outcome,
                human_datetime(job.next_run_at) if job.next_run_at else "—",
                failed.get(job.task, 0),
            ]
        )
        links.append(f"{runs_url}?task={job.task}" if superuser else "")
    scheduler = reverse("admin:scheduler") if superuser else ""
    return PanelContent(
        stats=[
            Stat("Periodic tasks", len(jobs), scheduler),
            Stat(
                "Failing",
                unhealthy,
                f"{runs_url}?outcome__exact=failure" if superuser else "",
                tone="danger" if unhealthy else "ok",
            ),
        ],
        table=Table(
            columns=["Task", "Schedule", "Last run", "Next run", "Failed (24 h)"],
            rows=rows,
            links=links if superuser else [],
            empty="No periodic task is declared.",
        ),
    )
