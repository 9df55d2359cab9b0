from django.contrib import admin, messages

from core.admin import ReadOnlyAdmin
from quotas import services
from quotas.models import AutoTopUpRule, Quota, TopUp, TopUpOrder


class TopUpOrderInline(admin.TabularInline):
    model = TopUpOrder
    extra = 0
    can_delete = False
    fields = ["sequence", "status", "order_number", "sent_at", "settled_at", "error"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(TopUp)
class TopUpAdmin(admin.ModelAdmin):
    """Top-up transactions are a ledger: read-only here; reconcile open ones with the action."""

    list_display = [
        "transaction_id",
        "sim",
        "quota_type",
        "volume",
        "packages",
        "status",
        "source",
        "created_at",
    ]
    list_filter = ["status", "source", "quota_type"]
    search_fields = ["transaction_id", "sim__iccid", "orders__order_number"]
    list_select_related = ["sim"]
    inlines = [TopUpOrderInline]
    actions = ["reconcile"]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Reconcile open top-up calls with 1NCE's orders")
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


@admin.register(Quota)
class QuotaAdmin(ReadOnlyAdmin):
    """A mirror of 1NCE's quotas: refreshed from 1NCE, changed only by top-ups."""

    list_display = ["sim", "quota_type", "volume", "remaining", "status", "refreshed_at"]
    list_filter = ["quota_type", "status"]
    search_fields = ["sim__iccid"]
    list_select_related = ["sim"]
    readonly_fields = ["refreshed_at"]


@admin.register(AutoTopUpRule)
class AutoTopUpRuleAdmin(admin.ModelAdmin):
    list_display = [
        "sim",
        "quota_type",
        "threshold_percentage",
        "topup_amount",
        "enabled",
        "last_triggered_at",
    ]
    list_filter = ["enabled", "quota_type"]
    search_fields = ["sim__iccid"]
    list_select_related = ["sim"]
    raw_id_fields = ["sim", "last_topup"]
