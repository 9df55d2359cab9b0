from django import forms
from django.contrib import admin
from django.db.models import Case, Q, When
from django.forms.models import BaseInlineFormSet
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from core.console import ConsoleAdmin
from core.context import Context
from core.humanize import human_ago, human_datetime, human_duration
from core.job_kinds import (
    job_progress,
    kind_label,
    kind_of,
    kinds_matching,
    readable_pairs,
    readable_value,
)
from core.models import Job, JobItem, JobItemStatus, TaskRun
from core.schedules import declared_schedule, task_name
from core.templatetags.console import human_text


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


class ParentScopedInline(admin.TabularInline):
    """Rows shown under their parent's page: seen by whoever may view the parent, whose page
    is already scoped to their organization (Django's own check wants a model permission no
    organization's staff hold, and hid them)."""

    extra = 0

    def parent_admin(self):
        return self.admin_site._registry.get(self.parent_model)

    def has_view_permission(self, request, obj=None):
        parent = self.parent_admin()
        return parent is not None and parent.has_view_permission(request, obj)


class ReadOnlyInline(NeverEdited, ParentScopedInline):
    """Records shown under their parent's page (a timeline, events, evidence), never added,
    changed or deleted from the console."""

    max_num = 0
    can_delete = False


class EditedWithParentInline(ParentScopedInline):
    """Rows edited on their parent's page and saved with it by the parent's service (an RCA's
    actions): whoever may change the parent changes them."""

    def _parent_may_change(self, request, obj):
        parent = self.parent_admin()
        return parent is not None and parent.has_change_permission(request, obj)

    def has_add_permission(self, request, obj=None):
        return self._parent_may_change(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._parent_may_change(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._parent_may_change(request, obj)


class FailuresFirst(BaseInlineFormSet):
    """A job's items for its page: the failing (failed, outcome unknown) first, then in the
    job's order, at most ``shown`` of them, so a job of 100,000 items renders as fast as one
    of ten; ``total`` counts them all for the page's note."""

    shown = 200

    @property
    def total(self) -> int:
        self.get_queryset()
        return self._total

    def get_queryset(self):
        if not hasattr(self, "_queryset"):
            items = super().get_queryset()
            self._total = items.count()
            failing = Case(
                When(status__in=[JobItemStatus.FAILED, JobItemStatus.UNKNOWN], then=0), default=1
            )
            self._queryset = items.order_by(failing, "position", "id")[: self.shown]
        return self._queryset


class JobItemInline(ReadOnlyInline):
    """A job's items as operators read them: the item (an ICCID), its status, and its result
    or error in words and human units (``core.job_kinds``), never a JSON blob. A long job
    shows its first ``FailuresFirst.shown`` items, failures first, and says so."""

    model = JobItem
    formset = FailuresFirst
    template = "admin/core/job/items.html"
    fields = ["item", "status", "attempts", "outcome", "failure", "updated"]
    readonly_fields = fields
    verbose_name = "item"
    classes = ["job-items"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("job")

    @admin.display(description="Item")
    def item(self, item):
        return kind_of(item.job.kind).describe_item(item.key)

    @admin.display(description="Result")
    def outcome(self, item):
        return pairs_html(kind_of(item.job.kind).describe_result(item.result or {}))

    @admin.display(description="Error")
    def failure(self, item):
        return human_text(item.error) if item.error else "—"

    @admin.display(description="Updated")
    def updated(self, item):
        return human_datetime(item.updated_at)


def pairs_html(pairs) -> str:
    """``(label, text)`` pairs one to a line ("Added: 500 MB"); "—" for none."""
    if not pairs:
        return "—"
    return format_html_join(
        mark_safe("<br>"), "{}{}", ((f"{label}: " if label else "", text) for label, text in pairs)
    )


def labelled_filter(field: str, title: str, label) -> type[admin.SimpleListFilter]:
    """A list filter on the codes ``field`` holds among the rows the viewer sees, each shown
    as ``label(code)`` and sorted by it (a job's kind by its label, not ``sims.reset``)."""

    class LabelledFilter(admin.SimpleListFilter):
        parameter_name = field

        def lookups(self, request, model_admin):
            codes = model_admin.get_queryset(request).order_by().values_list(field, flat=True)
            return sorted(((code, label(code)) for code in codes.distinct()), key=lambda c: c[1])

        def queryset(self, request, queryset):
            return queryset.filter(**{field: self.value()}) if self.value() else queryset

    LabelledFilter.title = title
    return LabelledFilter


@admin.register(Job)
class JobAdmin(ReadOnlyAdmin):
    """Bulk work and its progress; a running job's page refreshes itself."""

    console_group = "Operations"
    labels = {"id": "Job ID"}
    list_display = [
        "id",
        "operation",
        "status",
        "progress_bar",
        "organization",
        "created_by",
        "started",
    ]
    list_filter = ["status", labelled_filter("kind", "operation", kind_label)]
    list_select_related = ["organization", "created_by"]
    search_fields = ["id", "kind"]
    date_hierarchy = "created_at"
    inlines = [JobItemInline]
    # The page: the list's columns, then how it ended and what it was asked.
    fields = [*list_display, "finished", "failure", "parameters"]
    readonly_fields = fields

    def get_search_results(self, request, queryset, search_term):
        """Also finds jobs by their kind's label ("reset" finds the connectivity resets)."""
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        kinds = kinds_matching(search_term)
        if kinds:
            found = queryset.filter(Q(pk__in=found.values("pk")) | Q(kind__in=kinds))
        return found, may_have_duplicates

    @admin.display(description="Operation", ordering="kind")
    def operation(self, job):
        return kind_label(job.kind)

    @admin.display(description="Progress")
    def progress_bar(self, job):
        refresh = "" if job.is_finished else "3"
        return format_html(
            '<span class="job-progress" data-refresh-seconds="{}"><progress max="{}" value="{}">'
            "</progress> {}</span>",
            refresh,
            job.total or 1,
            job.done + job.failed,
            job_progress(job),
        )

    @admin.display(description="Started", ordering="created_at")
    def started(self, job):
        return human_ago(job.started_at or job.created_at)

    @admin.display(description="Finished")
    def finished(self, job):
        if job.finished_at is None:
            return "not yet"
        return human_datetime(job.finished_at)

    @admin.display(description="Error")
    def failure(self, job):
        return human_text(job.error) if job.error else "—"

    @admin.display(description="Parameters")
    def parameters(self, job):
        return pairs_html(readable_pairs(job.params))


@admin.register(TaskRun)
class TaskRunAdmin(ReadOnlyAdmin):
    """Periodic task runs, recorded by ``core.scheduler``; read-only."""

    tenant_field = None  # the platform's, not an organization's
    console_group = "Operations"
    labels = {"task_id": "Task ID"}
    list_display = ["task_title", "started", "duration", "outcome"]
    list_filter = ["outcome", labelled_filter("task", "task", task_name)]
    search_fields = ["task", "schedule_name", "task_id", "error"]
    date_hierarchy = "started_at"
    fields = [
        *list_display,
        "purpose",
        "finished",
        "failure",
        "returned",
        "worker",
        "task_id",
    ]
    readonly_fields = fields

    @admin.display(description="Task", ordering="task")
    def task_title(self, run):
        return task_name(run.task, run.schedule_name)

    @admin.display(description="What it does")
    def purpose(self, run):
        declared = declared_schedule(task=run.task, name=run.schedule_name)
        return declared.description if declared is not None and declared.description else "—"

    @admin.display(description="Finished")
    def finished(self, run):
        return human_datetime(run.finished_at) if run.finished_at else "not yet"

    @admin.display(description="Error")
    def failure(self, run):
        return human_text(run.error) if run.error else "—"

    @admin.display(description="Result")
    def returned(self, run):
        """What the task returned as ``label: value`` lines (a list of results, one a line)."""
        if isinstance(run.result, list):
            return pairs_html([("", readable_value(r)) for r in run.result])
        return pairs_html(readable_pairs(run.result))

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


# --- an organization's upstream accounts -------------------------------------------------------

HELP_KEEP = "Write-only. Leave blank to keep the current one."
HELP_NEW = "Write-only: it is stored encrypted and never shown again."


class UpstreamAccountForm(forms.ModelForm):
    """An upstream account's form: ``Meta.fields`` are its plain fields; ``secret_fields``
    (declared on the form, never in ``Meta.fields``, so the form never writes them) are
    write-only: never rendered back, required when connecting, left blank they keep the stored
    value. ``account_values`` are what the service saves besides the secrets."""

    secret_fields: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        creating = self.instance.pk is None
        if "is_active" in self.fields:
            self.fields["is_active"].label = "Connected"
            self.fields[
                "is_active"
            ].help_text = (
                "Untick to disconnect: FleetOps stops calling the upstream for this organization."
            )
        for name in self.secret_fields:
            self.initial.pop(name, None)
            field = self.fields[name]
            field.widget = forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"})
            field.required = creating and field.required
            field.help_text = HELP_NEW if creating else HELP_KEEP

    def account_values(self) -> dict:
        creating = self.instance.pk is None
        return {
            name: self.cleaned_data[name]
            for name in self._meta.fields
            if name != "organization"
            and name not in self.secret_fields
            and name in self.cleaned_data
            and (creating or name in self.changed_data)
        }

    def secret_values(self) -> dict:
        return {name: self.cleaned_data.get(name) or "" for name in self.secret_fields}


class UpstreamAccountAdmin(ConsoleAdmin):
    """An organization's own account at an upstream (1NCE, PMNL, Stellar): its admins connect
    and change it here, a superuser any organization's; other members do not see it. Saved by
    the upstream's ``UpstreamAccounts.save_account`` (audited, secrets encrypted and never
    shown); unticking "active" disconnects it, nothing deletes it."""

    accounts = None  # the upstream's ``core.upstream_accounts.UpstreamAccounts``
    console_group = "Access"
    admins_only = True
    member_may_add = True
    member_may_change = True
    list_select_related = ["organization"]

    def has_delete_permission(self, request, obj=None):
        return False

    def get_exclude(self, request, obj=None):
        # A member's account is their organization's; a superuser picks one when connecting.
        if request.user.is_superuser and obj is None:
            return []
        return ["organization"]

    def get_readonly_fields(self, request, obj=None):
        fields = [*super().get_readonly_fields(request, obj), "created_at", "updated_at"]
        if request.user.is_superuser and obj is not None:
            fields.insert(0, "organization")
        return fields

    def save_model(self, request, obj, form, change):
        if not change and not request.user.is_superuser:
            obj.organization_id = request.user.organization_id
        self.save_through(
            request,
            lambda: self.accounts.save_account(
                account=obj,
                values=form.account_values(),
                secrets=form.secret_values(),
                context=Context.from_request(request, via="console"),
            ),
        )
