from django.contrib import admin

from core.models import Job, JobItem, TaskRun


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records the product writes and nobody edits (mirrors, logs, bookkeeping): they are
    listed and shown, never added, changed or deleted from the console."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class JobItemInline(admin.TabularInline):
    model = JobItem
    extra = 0
    can_delete = False
    fields = ["key", "status", "attempts", "result", "error", "updated_at"]
    readonly_fields = fields


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "status", "organization", "total", "done", "failed", "created_at"]
    list_filter = ["status", "kind", "organization"]
    search_fields = ["id", "kind"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in Job._meta.fields]
    inlines = [JobItemInline]

    def has_add_permission(self, request):
        return False


@admin.register(TaskRun)
class TaskRunAdmin(ReadOnlyAdmin):
    """Periodic task runs, recorded by ``core.scheduler``; read-only."""

    list_display = ["task", "schedule_name", "started_at", "duration_seconds", "outcome"]
    list_filter = ["outcome", "task"]
    search_fields = ["task", "schedule_name", "task_id", "error"]
    date_hierarchy = "started_at"
    readonly_fields = [f.name for f in TaskRun._meta.fields]
