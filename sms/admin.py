from django.contrib import admin

from sms.models import SmsMessage


@admin.register(SmsMessage)
class SmsMessageAdmin(admin.ModelAdmin):
    list_display = ["sms_id", "sim", "direction", "status", "submission", "created_at"]
    list_filter = ["direction", "status", "submission", "encoding"]
    search_fields = ["sms_id", "sim__iccid", "message"]
    list_select_related = ["sim"]
    date_hierarchy = "created_at"

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False  # messages are sent through the API (one code path, audited)
