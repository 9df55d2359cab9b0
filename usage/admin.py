from django.contrib import admin

from core.admin import ReadOnlyAdmin
from usage.models import OrganizationDailyUsage, UsageRecord

# Usage is written by the sync only.


@admin.register(UsageRecord)
class UsageRecordAdmin(ReadOnlyAdmin):
    list_display = [
        "sim",
        "date",
        "data_rx_bytes",
        "data_tx_bytes",
        "sms_mo",
        "sms_mt",
        "synced_at",
    ]
    list_filter = ["organization", "date"]
    search_fields = ["sim__iccid", "sim__label"]
    date_hierarchy = "date"
    list_select_related = ["sim"]
    raw_id_fields = ["sim"]
    # A count over millions of rows on every page load is not worth it.
    show_full_result_count = False


@admin.register(OrganizationDailyUsage)
class OrganizationDailyUsageAdmin(ReadOnlyAdmin):
    list_display = [
        "organization",
        "date",
        "sim_count",
        "data_rx_bytes",
        "data_tx_bytes",
        "sms_mo",
        "sms_mt",
        "updated_at",
    ]
    list_filter = ["organization"]
    date_hierarchy = "date"
    list_select_related = ["organization"]
