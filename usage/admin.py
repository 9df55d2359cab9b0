from django.contrib import admin

from core.admin import ReadOnlyAdmin
from core.humanize import human_bytes, human_count
from usage.models import OrganizationDailyUsage, SimMonthlyUsage, UsageRecord

# Usage is written by the sync only.


class UsageColumns:
    @admin.display(description="Data received", ordering="data_rx_bytes")
    def received(self, row):
        return human_bytes(row.data_rx_bytes)

    @admin.display(description="Data sent", ordering="data_tx_bytes")
    def sent(self, row):
        return human_bytes(row.data_tx_bytes)

    @admin.display(description="Data total")
    def total(self, row):
        return human_bytes(row.data_bytes)

    @admin.display(description="SMS (MO / MT)")
    def sms(self, row):
        return f"{human_count(row.sms_mo)} / {human_count(row.sms_mt)}"

    @admin.display(description="SIMs with usage", ordering="sim_count")
    def sims(self, row):
        return human_count(row.sim_count)


@admin.register(UsageRecord)
class UsageRecordAdmin(UsageColumns, ReadOnlyAdmin):
    console_group = "Usage & quotas"
    list_display = ["sim", "date", "total", "received", "sent", "sms", "organization"]
    list_filter = ["date"]
    search_fields = ["=sim__iccid", "sim__label"]
    date_hierarchy = "date"
    list_select_related = ["sim", "organization"]
    autocomplete_fields = ["sim"]
    # A count over millions of rows on every page load is not worth it.
    show_full_result_count = False
    ordering = ["-date", "sim"]
    fields = [
        "organization",
        "sim",
        "date",
        "total",
        "received",
        "sent",
        "sms",
        "session_count",
        "synced_at",
    ]
    readonly_fields = fields


@admin.register(OrganizationDailyUsage)
class OrganizationDailyUsageAdmin(UsageColumns, ReadOnlyAdmin):
    console_group = "Usage & quotas"
    list_display = ["date", "organization", "sims", "total", "received", "sent", "sms"]
    list_filter = ["date"]
    date_hierarchy = "date"
    list_select_related = ["organization"]
    ordering = ["-date", "organization"]
    fields = ["organization", "date", "sims", "total", "received", "sent", "sms", "updated_at"]
    readonly_fields = fields


@admin.register(SimMonthlyUsage)
class SimMonthlyUsageAdmin(ReadOnlyAdmin):
    console_group = "Usage & quotas"
    list_display = ["sim", "month", "data", "sms", "organization"]
    list_filter = ["month"]
    search_fields = ["=sim__iccid", "sim__label"]
    list_select_related = ["sim", "organization"]
    autocomplete_fields = ["sim"]
    show_full_result_count = False
    fields = ["organization", "sim", "month", "data", "sms", "updated_at"]
    readonly_fields = fields

    @admin.display(description="Data", ordering="data_bytes")
    def data(self, row):
        return human_bytes(row.data_bytes)
