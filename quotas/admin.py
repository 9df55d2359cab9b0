from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied

from core.admin import ReadOnlyAdmin, ReadOnlyInline
from core.console import ConsoleAdmin
from core.context import Context
from core.humanize import human_ago, human_bytes, human_count, human_datetime
from quotas import services
from quotas.models import AutoTopUpRule, Quota, QuotaType, TopUp, TopUpOrder
from quotas.selectors import depleted, over_threshold


def amount(quota_type: str, value) -> str:
    """A volume of ``quota_type`` in its unit: bytes as MB/GB, SMS as a count."""
    if value is None:
        return "—"
    return human_bytes(value) if quota_type == QuotaType.DATA else f"{human_count(value)} SMS"


def amount_column(field: str, description: str, *, ordering: str | None = None):
    """A column (or read-only field) showing ``field`` of a quota-typed row in its unit."""

    @admin.display(description=description, ordering=ordering)
    def column(self, row):
        return amount(row.quota_type, getattr(row, field))

    return column


class TopUpOrderInline(ReadOnlyInline):
    model = TopUpOrder
    fields = ["sequence", "status", "order_number", "sent_at", "settled_at", "error"]
    readonly_fields = fields


@admin.register(TopUp)
class TopUpAdmin(ConsoleAdmin):
    """Top-up transactions are a ledger: read-only here; reconcile open ones with the action."""

    console_group = "Usage & quotas"
    list_display = [
        "transaction_id",
        "sim",
        "quota_type",
        "amount_bought",
        "packages",
        "status",
        "source",
        "requested_by",
        "created",
        "organization",
    ]
    list_filter = ["status", "source", "quota_type", "created_at"]
    search_fields = ["=transaction_id", "=sim__iccid", "=orders__order_number"]
    list_select_related = ["sim", "requested_by", "organization"]
    autocomplete_fields = ["sim"]
    date_hierarchy = "created_at"
    inlines = [TopUpOrderInline]
    actions = ["reconcile"]

    fields = [
        "transaction_id",
        "organization",
        "sim",
        "quota_type",
        "amount_bought",
        "packages",
        "status",
        "source",
        "requested_by",
        "quota_after",
        "error",
        "created_at",
        "completed_at",
        "idempotency_key",
        "job_item",
    ]
    readonly_fields = fields

    amount_bought = amount_column("volume", "Amount", ordering="volume")

    @admin.display(description="Quota after the top-up")
    def quota_after(self, topup):
        if topup.new_total is None and topup.new_remaining is None:
            return "—"
        return (
            f"{amount(topup.quota_type, topup.new_remaining)} left of "
            f"{amount(topup.quota_type, topup.new_total)}"
        )

    @admin.display(description="Requested", ordering="created_at")
    def created(self, topup):
        return human_datetime(topup.created_at)

    def has_add_permission(self, request):
        return False  # bought from the SIM page (or the API), through the service

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(
        description="Reconcile open top-up calls with 1NCE's orders", permissions=["operate"]
    )
    def reconcile(self, request, queryset):
        sims = {topup.sim_id for topup in queryset}
        result = services.settle_topups(sims=list(sims))
        self.message_user(
            request,
            f"{result.open} open top-up call(s): {result.applied} found applied, "
            f"{result.not_applied} not applied, {result.open - result.applied - result.not_applied}"
            " still pending.",
            messages.WARNING if result.errors else messages.INFO,
        )


class ThresholdFilter(admin.SimpleListFilter):
    title = "threshold"
    parameter_name = "threshold"

    def lookups(self, request, model_admin):
        return [
            ("reached", "Threshold reached"),
            ("depleted", "Depleted"),
            ("ok", "Below threshold"),
        ]

    def queryset(self, request, queryset):
        if self.value() == "reached":
            return queryset.filter(over_threshold())
        if self.value() == "depleted":
            return queryset.filter(depleted())
        if self.value() == "ok":
            return queryset.exclude(over_threshold()).exclude(depleted())
        return queryset


@admin.register(Quota)
class QuotaAdmin(ReadOnlyAdmin):
    """A mirror of 1NCE's quotas: refreshed from 1NCE, changed only by top-ups."""

    console_group = "Usage & quotas"
    tenant_field = "sim__organization"
    list_display = [
        "sim",
        "quota_type",
        "used",
        "left",
        "share",
        "status",
        "threshold",
        "refreshed",
    ]
    list_filter = ["quota_type", "status", ThresholdFilter]
    search_fields = ["=sim__iccid", "sim__label"]
    list_select_related = ["sim"]
    show_full_result_count = False
    fields = [
        "sim",
        "quota_type",
        "status",
        "used",
        "left",
        "total",
        "share",
        "threshold",
        "upstream_threshold_percentage",
        "last_added",
        "accumulated",
        "expiry_date",
        "depleted_at",
        "last_status_change_date",
        "refreshed",
    ]
    readonly_fields = fields

    total = amount_column("volume", "Total", ordering="volume")
    last_added = amount_column("last_volume_added", "Last volume added")
    accumulated = amount_column("accumulated_volume", "Accumulated volume")
    left = amount_column("remaining", "Left", ordering="remaining")

    used = amount_column("used", "Used")

    @admin.display(description="Used %")
    def share(self, quota):
        value = quota.percentage_used
        return "—" if value is None else f"{value:g} %"

    @admin.display(description="Threshold reached", ordering="threshold_crossed_at")
    def threshold(self, quota):
        return human_ago(quota.threshold_crossed_at) if quota.threshold_crossed_at else "no"

    @admin.display(description="Refreshed", ordering="refreshed_at")
    def refreshed(self, quota):
        return human_ago(quota.refreshed_at)


class AutoTopUpRuleForm(forms.ModelForm):
    """A rule as the API takes it; saved by ``configure_auto_topup`` (pushed to 1NCE for data,
    audited)."""

    packages = forms.TypedChoiceField(coerce=int, label="Top up by (packages)")

    class Meta:
        model = AutoTopUpRule
        fields = ["sim", "quota_type", "threshold_percentage", "enabled"]
        labels = {"threshold_percentage": "When this % is used"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["packages"].choices = [
            (n, str(n)) for n in range(1, settings.TOPUP_MAX_PACKAGES + 1)
        ]
        self.fields["threshold_percentage"].validators.append(
            forms.IntegerField(min_value=1, max_value=100).validators[0]
        )
        if self.instance.pk:
            size = services.package_size(self.instance.quota_type)
            self.initial["packages"] = max(1, self.instance.topup_amount // size)

    def topup_amount(self) -> int:
        return self.cleaned_data["packages"] * services.package_size(
            self.cleaned_data["quota_type"]
        )


@admin.register(AutoTopUpRule)
class AutoTopUpRuleAdmin(ConsoleAdmin):
    console_group = "Usage & quotas"
    member_may_change = True
    member_may_add = True
    form_in_transaction = False  # configure_auto_topup calls 1NCE
    form = AutoTopUpRuleForm
    list_display = [
        "sim",
        "quota_type",
        "threshold_percentage",
        "topup",
        "enabled",
        "last_triggered",
        "organization",
    ]
    list_filter = ["enabled", "quota_type"]
    search_fields = ["=sim__iccid", "sim__label"]
    list_select_related = ["sim", "organization"]
    autocomplete_fields = ["sim"]
    fields = ["sim", "quota_type", "threshold_percentage", "packages", "enabled"]

    def get_readonly_fields(self, request, obj=None):
        return ["sim", "quota_type"] if obj is not None else []

    topup = amount_column("topup_amount", "Top up by")

    @admin.display(description="Last triggered", ordering="last_triggered_at")
    def last_triggered(self, rule):
        return human_ago(rule.last_triggered_at) if rule.last_triggered_at else "never"

    def save_model(self, request, obj, form, change):
        sim = obj.sim if change else form.cleaned_data["sim"]
        if not request.user.is_superuser and sim.organization_id != request.user.organization_id:
            raise PermissionDenied
        quota_type = obj.quota_type if change else form.cleaned_data["quota_type"]
        saved = self.save_through(
            request,
            lambda: services.configure_auto_topup(
                organization=sim.organization,
                iccids=[sim.iccid],
                quota_type=quota_type,
                threshold_percentage=form.cleaned_data["threshold_percentage"],
                topup_amount=form.topup_amount(),
                enabled=form.cleaned_data["enabled"],
                context=Context.from_request(request, via="console"),
            ),
        )
        if saved:
            obj.pk = AutoTopUpRule.objects.get(sim=sim, quota_type=quota_type).pk
