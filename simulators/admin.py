from django.contrib import admin

from simulators.models import (
    HorizonAccount,
    HorizonFault,
    HorizonTransaction,
    OnenceAccount,
    OnenceEvent,
    OnenceFault,
    OnenceOrder,
    OnenceRequestLog,
    OnenceSim,
    OnenceSms,
)


@admin.register(OnenceAccount)
class OnenceAccountAdmin(admin.ModelAdmin):
    list_display = ["client_id", "created_at"]
    search_fields = ["client_id"]


@admin.register(OnenceFault)
class OnenceFaultAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "latency_ms",
        "error_rate",
        "error_status",
        "throttle_rate",
        "hang_seconds",
        "token_ttl_seconds",
        "enforce_rate_limit",
        "ambiguous_writes",
        "paths",
    ]
    list_select_related = ["account"]


@admin.register(OnenceSim)
class OnenceSimAdmin(admin.ModelAdmin):
    list_display = ["iccid", "account", "label", "status", "imei_lock", "flaky", "expiry_date"]
    list_filter = ["status", "flaky", "auto_topup", "account"]
    list_select_related = ["account"]
    search_fields = ["iccid", "imsi", "msisdn", "imei", "label"]
    raw_id_fields = ["account"]


@admin.register(OnenceEvent)
class OnenceEventAdmin(admin.ModelAdmin):
    list_display = ["timestamp", "sim", "event_type", "severity", "description"]
    list_filter = ["event_type", "severity"]
    raw_id_fields = ["sim"]
    search_fields = ["sim__iccid"]


@admin.register(OnenceSms)
class OnenceSmsAdmin(admin.ModelAdmin):
    list_display = ["id", "sim", "sms_type", "status", "submit_date", "delivery_date"]
    list_filter = ["sms_type", "status"]
    raw_id_fields = ["sim"]
    search_fields = ["sim__iccid"]


@admin.register(OnenceOrder)
class OnenceOrderAdmin(admin.ModelAdmin):
    list_display = ["order_number", "account", "order_type", "status", "order_date"]
    list_filter = ["order_type", "status"]


@admin.register(OnenceRequestLog)
class OnenceRequestLogAdmin(admin.ModelAdmin):
    list_display = ["created_at", "method", "path", "status", "client_id", "fault", "duration_ms"]
    list_filter = ["method", "status", "fault"]
    search_fields = ["path", "client_id"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(HorizonAccount)
class HorizonAccountAdmin(admin.ModelAdmin):
    list_display = ["account_id", "sequence", "created_at"]
    search_fields = ["account_id"]


@admin.register(HorizonTransaction)
class HorizonTransactionAdmin(admin.ModelAdmin):
    list_display = ["hash", "ledger", "source_account", "successful", "memo_type", "created_at"]
    list_filter = ["successful"]
    search_fields = ["hash", "source_account", "memo"]


@admin.register(HorizonFault)
class HorizonFaultAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "latency_ms",
        "error_rate",
        "error_status",
        "hang_seconds",
        "apply_then",
        "paths",
    ]
