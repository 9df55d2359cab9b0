from django import forms
from django.contrib import admin, messages

from core.admin import ReadOnlyAdmin
from core.context import Context
from sims import services
from sims.api.serializers import SimChangeSerializer
from sims.models import ONENCE_DEFAULT_BASE_URL, LimitSet, OnenceAccount, Order, Sim, SimEvent
from upstream.exceptions import UpstreamError


class OnenceAccountForm(forms.ModelForm):
    """The secret is write-only: never rendered back; left blank on edit, it stays as it is."""

    base_url = forms.URLField(
        max_length=300, assume_scheme="https", initial=ONENCE_DEFAULT_BASE_URL
    )
    client_secret = forms.CharField(
        widget=forms.PasswordInput(render_value=False),
        required=False,
        strip=True,
        help_text="Write-only. Leave blank to keep the current secret.",
    )

    class Meta:
        model = OnenceAccount
        fields = ["organization", "base_url", "client_id", "client_secret", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.pop("client_secret", None)
        if self.instance.pk is None:
            self.fields["client_secret"].required = True
            self.fields["client_secret"].help_text = "Write-only: it is stored encrypted."

    def clean_client_secret(self) -> str:
        secret = self.cleaned_data.get("client_secret")
        if not secret and self.instance.pk is not None:
            return self.instance.client_secret  # still the stored one at this point
        return secret


@admin.register(OnenceAccount)
class OnenceAccountAdmin(admin.ModelAdmin):
    form = OnenceAccountForm
    list_display = ["organization", "client_id", "base_url", "is_active", "updated_at"]
    list_filter = ["is_active"]
    search_fields = ["organization__name", "client_id"]
    list_select_related = ["organization"]
    readonly_fields = ["created_at", "updated_at"]


class RecentEventsInline(admin.TabularInline):
    model = SimEvent
    fields = ["occurred_at", "event_type", "severity", "source", "description"]
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    ordering = ["-occurred_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).order_by("-occurred_at", "-id")


class SimChangeForm(forms.ModelForm):
    """The parts of a SIM that are ours to change in the console (tags, metadata), checked by
    the API's own rules; everything else is 1NCE's (actions) or the tenant's (never)."""

    class Meta:
        model = Sim
        fields = ["tags", "metadata"]

    def clean(self):
        cleaned = super().clean()
        values = {name: cleaned[name] for name in self.Meta.fields if name in cleaned}
        changes = SimChangeSerializer(data=values, partial=True)
        if changes.is_valid():
            self.validated_changes = changes.validated_data
        else:
            for name, problems in changes.errors.items():
                self.add_error(name if name in self.fields else None, str(problems))
        return cleaned


@admin.register(Sim)
class SimAdmin(admin.ModelAdmin):
    list_display = [
        "iccid",
        "label",
        "status",
        "organization",
        "msisdn",
        "current_country",
        "last_synced_at",
    ]
    list_filter = ["status", "organization", "current_country", "current_rat"]
    list_select_related = ["organization"]
    search_fields = ["iccid", "iccid_with_luhn", "imsi", "msisdn", "imei", "label"]
    ordering = ["-created_at", "-id"]
    form = SimChangeForm
    # Every column but tags and metadata is 1NCE's (changed by the actions below) or the
    # tenant's: no console path moves a SIM to another organization.
    readonly_fields = [
        "organization",
        "iccid",
        "iccid_with_luhn",
        "imsi",
        "imsi_2",
        "current_imsi",
        "msisdn",
        "imei",
        "imei_lock",
        "status",
        "label",
        "ip_address",
        "ipv6_address",
        "activation_date",
        "current_rat",
        "current_country",
        "current_operator",
        "data_quota_remaining_bytes",
        "data_quota_total_bytes",
        "sms_quota_remaining",
        "sms_quota_total",
        "last_synced_at",
        "usage_synced_at",
        "missing_upstream_since",
        "created_at",
        "updated_at",
    ]
    inlines = [RecentEventsInline]
    actions = ["sync_selected", "reset_selected", "enable_selected", "disable_selected"]

    def has_add_permission(self, request):
        return False  # SIMs come from 1NCE through the sync

    def has_delete_permission(self, request, obj=None):
        return False  # the sync flags SIMs gone from 1NCE; a row is never dropped by hand

    def save_model(self, request, obj, form, change):
        """Tags and metadata change through the same service as the API: audited with the
        operator as actor, a ``configuration_changed`` event, the read caches dropped."""
        changes = {k: v for k, v in form.validated_changes.items() if k in form.changed_data}
        if changes:
            sim = Sim.objects.select_related("organization").get(pk=obj.pk)
            services.update_sim(
                sim=sim, changes=changes, context=Context.from_request(request, via="console")
            )

    def _each(self, request, queryset, verb, operation):
        done, failed = 0, 0
        for sim in queryset.select_related("organization"):
            try:
                operation(sim)
                done += 1
            except UpstreamError as exc:
                failed += 1
                self.message_user(request, f"{sim.iccid}: {exc.public_message}", messages.ERROR)
        self.message_user(request, f"{verb} {done} SIM(s); {failed} failed.")

    @admin.action(description="Sync from 1NCE now")
    def sync_selected(self, request, queryset):
        self._each(request, queryset, "Synced", lambda sim: services.sync_one(sim=sim))

    @admin.action(description="Reset connectivity")
    def reset_selected(self, request, queryset):
        self._each(
            request,
            queryset,
            "Reset",
            lambda sim: services.request_reset(
                sim=sim, context=Context.from_request(request, via="console")
            ),
        )

    @admin.action(description="Enable at 1NCE")
    def enable_selected(self, request, queryset):
        self._each(
            request, queryset, "Enabled", lambda sim: self._set_status(request, sim, "Enabled")
        )

    @admin.action(description="Disable at 1NCE")
    def disable_selected(self, request, queryset):
        self._each(
            request, queryset, "Disabled", lambda sim: self._set_status(request, sim, "Disabled")
        )

    @staticmethod
    def _set_status(request, sim, status):
        services.update_sim(
            sim=sim,
            changes={"status": status},
            context=Context.from_request(request, via="console"),
        )


@admin.register(SimEvent)
class SimEventAdmin(ReadOnlyAdmin):
    """Events are history: written by the services that cause them, never by hand."""

    list_display = ["occurred_at", "sim", "event_type", "severity", "source", "organization"]
    list_filter = ["event_type", "severity", "source", "category"]
    search_fields = ["sim__iccid", "description"]
    raw_id_fields = ["sim"]
    list_select_related = ["sim", "organization"]
    date_hierarchy = "occurred_at"


@admin.register(LimitSet)
class LimitSetAdmin(admin.ModelAdmin):
    list_display = [
        "organization",
        "sim",
        "daily_data_limit",
        "monthly_data_limit",
        "enforce_limits",
    ]
    list_filter = ["organization", "enforce_limits"]
    raw_id_fields = ["sim"]


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = [
        "order_number",
        "organization",
        "status",
        "total_amount",
        "currency",
        "created_at",
    ]
    list_filter = ["status", "organization"]
    search_fields = ["order_number"]
    readonly_fields = [f.name for f in Order._meta.fields]

    def has_add_permission(self, request):
        return False
