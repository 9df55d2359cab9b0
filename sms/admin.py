from django.contrib import admin, messages

from core.console import ConsoleAdmin
from core.errors import UpstreamNotConnected
from core.humanize import human_ago, human_datetime
from sms import services
from sms.models import SmsMessage
from upstream.exceptions import UpstreamError


@admin.register(SmsMessage)
class SmsMessageAdmin(ConsoleAdmin):
    """Messages are sent from the SIM page (or the API), one code path, audited; read here."""

    console_group = "Messages"
    list_display = [
        "sms_id",
        "sim",
        "direction",
        "short_message",
        "status",
        "submission",
        "created",
        "organization",
    ]
    list_filter = ["direction", "status", "submission", "encoding", "created_at"]
    search_fields = ["=sms_id", "=sim__iccid", "message"]
    list_select_related = ["sim", "organization"]
    autocomplete_fields = ["sim"]
    date_hierarchy = "created_at"
    show_full_result_count = False

    @admin.display(description="Message")
    def short_message(self, sms):
        return sms.message if len(sms.message) <= 60 else f"{sms.message[:59]}…"

    @admin.display(description="Created", ordering="created_at")
    def created(self, sms):
        return f"{human_datetime(sms.created_at)} ({human_ago(sms.created_at)})"

    actions = ["refresh_from_1nce"]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Refresh the status from 1NCE")
    def refresh_from_1nce(self, request, queryset):
        """Read the selected messages' delivery status from 1NCE now (the service the API's
        reads use); final and received messages have nothing to refresh."""
        changed = unchanged = failed = 0
        for sms in queryset.select_related("sim__organization"):
            before = sms.status
            try:
                services.refresh_status(sms=sms)
            except (UpstreamError, UpstreamNotConnected) as exc:
                failed += 1
                self.message_user(
                    request, f"{sms.sms_id}: 1NCE could not be read ({exc})", messages.ERROR
                )
                continue
            if sms.status != before:
                changed += 1
            else:
                unchanged += 1
        self.message_user(
            request,
            f"Refreshed from 1NCE: {changed} changed, {unchanged} unchanged, {failed} failed.",
            messages.WARNING if failed else messages.SUCCESS,
        )
