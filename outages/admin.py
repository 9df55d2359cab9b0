"""The operators' console for outages: every change goes through the same services as the API
(audited, on the timeline); history (timeline, SLA results, events, reports) is read-only."""

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html

from core.admin import EditedWithParentInline, ReadOnlyAdmin, ReadOnlyInline
from core.console import ConsoleAdmin
from core.context import Context
from core.errors import DomainError
from outages import services
from outages.models import (
    Outage,
    OutageEvent,
    OutageStatus,
    RcaAction,
    RootCauseAnalysis,
    SlaConfig,
    SlaReport,
    SlaResult,
    TimelineEntry,
)
from outages.selectors import result_of, settlements_of, sla_status, terms_in_force
from outages.settlement import NOT_SETTLED

SEVERITY_COLOURS = {
    "critical": "#b3261e",
    "high": "#d9730d",
    "medium": "#b38600",
    "low": "#4a6fa5",
}
SLA_COLOURS = {"met": "#2e7d32", "violated": "#b3261e", "in_progress": "#4a6fa5"}


def badge(text: str, colour: str):
    return format_html(
        '<span style="background:{};color:#fff;border-radius:4px;padding:1px 6px;'
        'font-size:11px">{}</span>',
        colour,
        text,
    )


def console_context(request) -> Context:
    return Context.from_request(request, via="console")


class TimelineInline(ReadOnlyInline):
    model = TimelineEntry
    fields = ["occurred_at", "event", "actor_name"]
    readonly_fields = fields
    verbose_name = verbose_name_plural = "timeline"
    ordering = ["occurred_at", "id"]


class OutageChangeForm(forms.ModelForm):
    """The fields an operator changes; status, assignment and the rest go through
    ``services.update_outage`` with its transition rules."""

    assignee = forms.CharField(required=False, help_text="Username in this organization.")

    class Meta:
        model = Outage
        fields = [
            "status",
            "severity",
            "site_name",
            "site_id",
            "description",
            "root_cause",
            "resolution_notes",
            "affected_subscribers",
        ]
        labels = {"site_id": "Site ID"}


@admin.register(Outage)
class OutageAdmin(ConsoleAdmin):
    console_group = "Outages & SLA"
    member_may_change = True  # through ``services.update_outage`` (save_model)
    list_display = [
        "outage_id",
        "site_name",
        "severity_badge",
        "status",
        "detected_at",
        "resolved_at",
        "mttr",
        "sla_badge",
        "organization",
    ]
    list_filter = ["severity", "status", "sla_met", "organization"]
    search_fields = ["site_name", "site_id", "description"]
    list_select_related = ["organization", "sla_result"]
    date_hierarchy = "detected_at"
    ordering = ["-detected_at", "-id"]
    form = OutageChangeForm
    readonly_fields = [
        "outage_id",
        "organization",
        "detected_at",
        "resolved_at",
        "mttr",
        "sla_clock",
        "assigned_to",
        "created_by",
        "rca_link",
        "payment",
    ]
    inlines = [TimelineInline]
    actions = ["resolve_selected"]

    def has_add_permission(self, request):
        return False  # outages are reported through the API (or the NOC's tooling)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="ID", ordering="number")
    def outage_id(self, outage):
        return outage.public_id

    @admin.display(description="MTTR", ordering="mttr_minutes")
    def mttr(self, outage):
        return "-" if outage.mttr_minutes is None else f"{outage.mttr_minutes} min"

    @admin.display(description="Severity", ordering="severity")
    def severity_badge(self, outage):
        return badge(outage.severity, SEVERITY_COLOURS[outage.severity])

    @admin.display(description="SLA")
    def sla_badge(self, outage):
        result = result_of(outage)
        if result is not None:
            return badge(f"{result.status} {result.amount}", SLA_COLOURS[result.status])
        if outage.resolved_at is None:
            return badge("running", SLA_COLOURS["in_progress"])
        return "-"

    @admin.display(description="SLA clock")
    def sla_clock(self, outage):
        terms = terms_in_force([outage.organization_id])[(outage.organization_id, outage.severity)]
        status = sla_status(outage, terms)
        if status["status"] == "in_progress":
            tone = "violated" if status["breached"] else "in_progress"
            text = (
                f"{status['elapsed_minutes']} of {status['threshold_minutes']} min elapsed, "
                f"{status['time_remaining_minutes']} min left"
                + (" (breached)" if status["breached"] else "")
            )
            return badge(text, SLA_COLOURS[tone])
        if status["status"] in SLA_COLOURS:
            return badge(
                f"{status['status']}: MTTR {status['mttr_minutes']} of "
                f"{status['threshold_minutes']} min, {status['amount']:.2f} "
                f"({status['performance_rating']}, terms v{status['config_version']})",
                SLA_COLOURS[status["status"]],
            )
        return status["status"]

    @admin.display(description="Root cause analysis")
    def rca_link(self, outage):
        rca = RootCauseAnalysis.objects.filter(outage=outage).first()
        if rca is None:
            return "none yet" if outage.is_resolved else "after resolution"
        return format_html(
            '<a href="../../rootcauseanalysis/{}/change/">{}</a>', rca.pk, rca.category
        )

    @admin.display(description="Payment")
    def payment(self, outage):
        """The SLA result's settlement (smart contract attestation, Stellar payment)."""
        if result_of(outage) is None:
            return "after the SLA evaluation"
        settlement = settlements_of([outage]).get(outage.pk, NOT_SETTLED)
        contract = "attested" if settlement.smart_contract_invoked else settlement.contract_status
        paid = settlement.payment
        if paid is None:
            return f"no payment yet (contract: {contract.replace('_', ' ')})"
        text = (
            f"{paid['type'].capitalize()} of {paid['amount']:,.2f} {paid['asset_code']} "
            f"({paid['status']}), contract: {contract.replace('_', ' ')}"
        )
        if paid.get("explorer_url"):
            return format_html('<a href="{}">{}</a>', paid["explorer_url"], text)
        return text

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is not None and obj.assigned_to_id:
            form.base_fields["assignee"].initial = obj.assigned_to.get_username()
        return form

    def save_model(self, request, obj, form, change):
        """Changes go through ``update_outage``: the same rules and timeline as the API."""
        changes = {
            name: form.cleaned_data[name] for name in form.changed_data if name != "assignee"
        }
        if "assignee" in form.changed_data:
            changes["assigned_to"] = form.cleaned_data["assignee"] or None
        if not changes:
            return
        self.save_through(
            request,
            lambda: services.update_outage(
                outage=Outage.objects.get(pk=obj.pk),
                changes=changes,
                context=console_context(request),
            ),
        )

    @admin.action(description="Resolve now")
    def resolve_selected(self, request, queryset):
        done = 0
        for outage in queryset.filter(status__in=[OutageStatus.ACTIVE, OutageStatus.INVESTIGATING]):
            try:
                services.resolve_outage(outage=outage, context=console_context(request))
                done += 1
            except DomainError as error:
                self.message_user(request, f"{outage.public_id}: {error.message}", messages.ERROR)
        self.message_user(request, f"Resolved {done} outage(s).")


class RcaActionInline(EditedWithParentInline):
    model = RcaAction
    fields = ["description", "owner", "due_date", "done", "done_at"]
    readonly_fields = ["done_at"]
    extra = 1


# An action's fields ``save_rca`` takes (``id`` keeps the action).
KEPT = ("id", "description", "owner", "due_date", "done")


class RcaForm(forms.ModelForm):
    factors = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="One contributing factor per line.",
    )

    class Meta:
        model = RootCauseAnalysis
        fields = ["category", "summary"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["factors"].initial = "\n".join(self.instance.contributing_factors)


@admin.register(RootCauseAnalysis)
class RootCauseAnalysisAdmin(ConsoleAdmin):
    console_group = "Outages & SLA"
    tenant_field = "outage__organization"
    member_may_change = True  # through ``services.save_rca`` (save_related)
    form = RcaForm
    list_display = ["outage", "category", "updated_at", "open_actions"]
    list_filter = ["category"]
    list_select_related = ["outage"]
    search_fields = ["summary", "outage__site_name"]
    readonly_fields = ["outage", "updated_by", "updated_at"]
    inlines = [RcaActionInline]

    def has_add_permission(self, request):
        return False  # recorded from the outage (PUT /outages/{id}/rca)

    @admin.display(description="Open actions")
    def open_actions(self, rca):
        return rca.actions.filter(done=False).count()

    def save_model(self, request, obj, form, change):
        self._form = form  # saved with its actions in save_related, through the service

    def construct_change_message(self, request, form, formsets, add=False):
        # The actions were saved by the service, not by their formset.
        return super().construct_change_message(request, form, None, add)

    def save_related(self, request, form, formsets, change):
        """The RCA and its actions are saved together by ``services.save_rca`` (timeline,
        audit), not by the forms."""
        action_formsets = [f for f in formsets if f.model is RcaAction]
        if not action_formsets:  # the page showed no actions: they stay as they are
            return self._save_rca(request, form, list(form.instance.actions.values(*KEPT)))
        actions = []
        for formset in action_formsets:
            for action_form in formset.forms:
                data = getattr(action_form, "cleaned_data", None)
                if not data or data.get("DELETE") or not data.get("description"):
                    continue
                item = {k: data[k] for k in KEPT[1:]}
                if action_form.instance.pk:
                    item["id"] = action_form.instance.pk
                actions.append(item)
        self._save_rca(request, form, actions)

    def _save_rca(self, request, form, actions: list[dict]) -> None:
        self.save_through(
            request,
            lambda: services.save_rca(
                outage=form.instance.outage,
                category=form.cleaned_data["category"],
                summary=form.cleaned_data["summary"],
                contributing_factors=[
                    line.strip()
                    for line in form.cleaned_data["factors"].splitlines()
                    if line.strip()
                ],
                actions=actions,
                context=console_context(request),
            ),
        )


class SlaConfigForm(forms.ModelForm):
    class Meta:
        model = SlaConfig
        fields = [
            "organization",
            "severity",
            "threshold_minutes",
            "penalty_per_minute",
            "reward_base",
        ]


@admin.register(SlaConfig)
class SlaConfigAdmin(ConsoleAdmin):
    """Adding terms makes a new version through ``change_sla_config`` (bounds, audit); a
    version is never edited or deleted: results point at it."""

    console_group = "Outages & SLA"
    member_may_add = True  # through ``services.change_sla_config`` (save_model)

    form = SlaConfigForm
    list_display = [
        "organization",
        "severity",
        "version",
        "threshold_minutes",
        "penalty_per_minute",
        "reward_base",
        "created_at",
        "created_by",
    ]
    list_filter = ["severity", "organization"]
    list_select_related = ["organization", "created_by"]

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if not request.user.is_superuser:
            form.base_fields.pop("organization", None)
        return form

    def save_model(self, request, obj, form, change):
        organization = form.cleaned_data.get("organization") or request.user.organization
        saved = []
        self.save_through(
            request,
            lambda: saved.append(
                services.change_sla_config(
                    organization=organization,
                    severity=form.cleaned_data["severity"],
                    changes={
                        k: form.cleaned_data[k]
                        for k in ("threshold_minutes", "penalty_per_minute", "reward_base")
                    },
                    context=console_context(request),
                )
            ),
        )
        if saved:
            obj.pk = saved[0].pk


@admin.register(SlaResult)
class SlaResultAdmin(ReadOnlyAdmin):
    console_group = "Outages & SLA"
    labels = {"mttr_minutes": "MTTR (minutes)"}
    list_display = [
        "outage",
        "status",
        "mttr_minutes",
        "threshold_minutes",
        "amount",
        "performance_rating",
        "config",
        "evaluated_at",
    ]
    list_filter = ["status", "performance_rating"]
    list_select_related = ["outage", "config"]


@admin.register(OutageEvent)
class OutageEventAdmin(ReadOnlyAdmin):
    console_group = "Outages & SLA"
    list_display = ["occurred_at", "kind", "outage", "published_at"]
    list_filter = ["kind"]
    list_select_related = ["outage"]


@admin.register(SlaReport)
class SlaReportAdmin(ReadOnlyAdmin):
    console_group = "Outages & SLA"
    list_display = ["month", "organization", "generated_at", "downloads"]
    list_select_related = ["organization"]

    @admin.display(description="Download")
    def downloads(self, report):
        month = report.month.strftime("%Y-%m")
        base = f"/api/v1/reports/sla?month={month}&organization_id={report.organization_id}"
        return format_html(
            '<a href="{}&format=pdf">PDF</a> · <a href="{}&format=csv">CSV</a>', base, base
        )
