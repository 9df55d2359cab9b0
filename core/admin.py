from django.contrib import admin
from django.utils.html import format_html

from core.console import ConsoleAdmin
from core.humanize import human_ago, human_datetime, human_duration
from core.models import Job, JobItem, TaskRun


class NeverEdited:
    """Never added, changed or deleted from the console (a page or an inline)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(NeverEdited, ConsoleAdmin):
    """For records the product writes and nobody edits (mirrors, logs, bookkeeping): they are
    listed and shown, never added, changed or deleted from the console."""


class ReadOnlyInline(NeverEdited, admin.TabularInline):
    """Records shown under their parent's page (a timeline, events, evidence): seen by whoever
    may view the parent, whose page is already scoped to their organization (Django's own
    check wants a model permission no organization's staff hold, and hid them), and never
    added, changed or deleted from the console."""

    extra = 0
    max_num = 0
    can_delete = False

    def has_view_permission(self, request, obj=None):
        parent = self.admin_site._registry.get(self.parent_model)
        return parent is not None and parent.has_view_permission(request, obj)


class JobItemInline(ReadOnlyInline):
    model = JobItem
    fields = ["key", "status", "attempts", "result", "error", "updated_at"]
    readonly_fields = fields
    verbose_name = "item"


@admin.register(Job)
class JobAdmin(ReadOnlyAdmin):
    """Bulk work and its progress; a running job's page refreshes itself."""

    console_group = "Operations"
    list_display = ["id", "kind", "status", "progress_bar", "organization", "created_by", "started"]
    list_filter = ["status", "kind"]
    list_select_related = ["organization", "created_by"]
    search_fields = ["id", "kind"]
    date_hierarchy = "created_at"
    inlines = [JobItemInline]
    fields = [
        "id",
        "kind",
        "status",
        "progress_bar",
        "total",
        "done",
        "failed",
        "organization",
        "created_by",
        "started",
        "finished",
        "error",
        "params",
    ]
    readonly_fields = fields

    @admin.display(description="Progress")
    def progress_bar(self, job):
        refresh = "" if job.is_finished else "3"
        return format_html(
            '<span class="job-progress" data-refresh-seconds="{}"><progress max="{}" value="{}">'
            "</progress> "
            "{} of {} ({} %), {} failed</span>",
            refresh,
            job.total or 1,
            job.done + job.failed,
            job.done + job.failed,
            job.total,
            job.progress,
            job.failed,
        )

    @admin.display(description="Started", ordering="created_at")
    def started(self, job):
        return human_ago(job.started_at or job.created_at)

    @admin.display(description="Finished")
    def finished(self, job):
        if job.finished_at is None:
            return "not yet"
        return human_datetime(job.finished_at)


@admin.register(TaskRun)
class TaskRunAdmin(ReadOnlyAdmin):
    """Periodic task runs, recorded by ``core.scheduler``; read-only."""

    tenant_field = None  # the platform's, not an organization's
    console_group = "Operations"
    list_display = ["task", "schedule_name", "started", "duration", "outcome"]
    list_filter = ["outcome", "task"]
    search_fields = ["task", "schedule_name", "task_id", "error"]
    date_hierarchy = "started_at"
    readonly_fields = [f.name for f in TaskRun._meta.fields]

    @admin.display(description="Started", ordering="started_at")
    def started(self, run):
        return f"{human_datetime(run.started_at)} ({human_ago(run.started_at)})"

    @admin.display(description="Duration", ordering="duration_seconds")
    def duration(self, run):
        if run.duration_seconds is None:
            return "—"
        if run.duration_seconds < 1:
            return f"{run.duration_seconds * 1000:.0f} ms"
        return human_duration(run.duration_seconds)
