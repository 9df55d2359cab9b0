"""Alerts, rules and webhooks in the console: every change goes through the alerts services
(audited, with the operator as actor); the rows themselves are not edited by hand."""

from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.timesince import timesince

from alerts import services
from alerts.models import Alert, AlertRule, AlertStatus, Webhook, WebhookDelivery
from core.admin import ReadOnlyAdmin, ReadOnlyInline
from core.context import Context
from core.errors import DomainError

SEVERITY_COLOURS = {"critical": "#ba2121", "high": "#d35400", "warning": "#b7950b"}


class AlertsAdmin(ReadOnlyAdmin):
    """The alerts pages: scoped to the organization like every console page, in its "Alerts"
    group; their actions go through the alerts services one row at a time, for the roles that
    act (as in the API: a viewer reads)."""

    console_group = "Alerts"

    def _each(self, request, queryset, verb: str, call) -> None:
        context = Context.from_request(request, via="console")
        done, refused = 0, []
        for obj in queryset:
            try:
                call(obj, context)
                done += 1
            except DomainError as exc:
                refused.append(f"{obj}: {exc}")
        if done:
            self.message_user(request, f"{verb} {done}.", messages.SUCCESS)
        for line in refused[:10]:
            self.message_user(request, line, messages.WARNING)


@admin.register(Alert)
class AlertAdmin(AlertsAdmin):
    list_display = ["title", "severity_badge", "status", "event_count", "rule", "last_seen"]
    list_filter = ["status", "event_type", "severity"]
    search_fields = ["title", "subject"]
    date_hierarchy = "last_event_at"
    actions = ["acknowledge_selected", "resolve_selected"]
    readonly_fields = [
        "title",
        "rule",
        "event_type",
        "subject",
        "severity",
        "status",
        "event_count",
        "first_event_at",
        "last_event_at",
        "notified_at",
        "acknowledged_at",
        "acknowledged_by",
        "resolved_at",
        "resolved_by",
        "resolution",
    ]
    exclude = ["events", "notify_at", "organization"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("rule")

    @admin.display(description="Severity", ordering="severity")
    def severity_badge(self, alert):
        colour = SEVERITY_COLOURS.get(alert.severity, "#417690")
        return format_html('<strong style="color:{}">{}</strong>', colour, alert.severity.title())

    @admin.display(description="Last event", ordering="last_event_at")
    def last_seen(self, alert):
        return f"{timesince(alert.last_event_at)} ago"

    @admin.action(description="Acknowledge", permissions=["operate"])
    def acknowledge_selected(self, request, queryset):
        self._each(
            request,
            queryset.exclude(status=AlertStatus.RESOLVED),
            "Acknowledged",
            lambda alert, context: services.acknowledge(alert=alert, context=context),
        )

    @admin.action(description="Resolve", permissions=["operate"])
    def resolve_selected(self, request, queryset):
        self._each(
            request,
            queryset.exclude(status=AlertStatus.RESOLVED),
            "Resolved",
            lambda alert, context: services.resolve(
                alert=alert, context=context, resolution="Resolved in the console."
            ),
        )


@admin.register(AlertRule)
class AlertRuleAdmin(AlertsAdmin):
    list_display = ["name", "event_list", "channel_list", "dedup_window_minutes", "is_active"]
    list_filter = ["is_active", "is_default"]
    search_fields = ["name"]
    actions = ["activate_selected", "deactivate_selected"]
    readonly_fields = [
        "name",
        "event_types",
        "conditions",
        "channels",
        "dedup_window_minutes",
        "notify_after_minutes",
        "quiet_period_minutes",
        "is_active",
        "is_default",
    ]
    exclude = ["organization"]

    @admin.display(description="Events")
    def event_list(self, rule):
        return ", ".join(rule.event_types)

    @admin.display(description="Channels")
    def channel_list(self, rule):
        return ", ".join(channel["type"] for channel in rule.channels)

    def _set_active(self, request, queryset, active: bool):
        self._each(
            request,
            queryset,
            "Activated" if active else "Deactivated",
            lambda rule, context: services.update_rule(
                rule=rule, values={"is_active": active}, context=context
            ),
        )

    @admin.action(description="Activate", permissions=["operate"])
    def activate_selected(self, request, queryset):
        self._set_active(request, queryset, True)

    @admin.action(description="Deactivate", permissions=["operate"])
    def deactivate_selected(self, request, queryset):
        self._set_active(request, queryset, False)


class DeliveryInline(ReadOnlyInline):
    model = WebhookDelivery
    fields = ["delivery_id", "event", "status", "attempts", "response_status", "latency_ms"]
    readonly_fields = fields
    ordering = ["-created_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("event")


@admin.register(Webhook)
class WebhookAdmin(AlertsAdmin):
    list_display = ["url", "event_list", "is_active", "consecutive_failures", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["url", "description"]
    actions = ["send_test_selected", "enable_selected", "disable_selected"]
    readonly_fields = [
        "url",
        "description",
        "event_types",
        "is_active",
        "consecutive_failures",
        "disabled_at",
        "disabled_reason",
        "created_by",
        "created_at",
    ]
    exclude = ["secret", "organization"]
    inlines = [DeliveryInline]

    @admin.display(description="Events")
    def event_list(self, webhook):
        return ", ".join(webhook.event_types)

    @admin.action(description="Send a test event", permissions=["operate"])
    def send_test_selected(self, request, queryset):
        self._each(
            request,
            queryset,
            "Test event queued for",
            lambda webhook, context: services.send_test_event(webhook=webhook, context=context),
        )

    @admin.action(description="Enable", permissions=["operate"])
    def enable_selected(self, request, queryset):
        self._each(
            request,
            queryset,
            "Enabled",
            lambda webhook, context: services.update_webhook(
                webhook=webhook, changes={"is_active": True}, context=context
            ),
        )

    @admin.action(description="Disable", permissions=["operate"])
    def disable_selected(self, request, queryset):
        self._each(
            request,
            queryset,
            "Disabled",
            lambda webhook, context: services.update_webhook(
                webhook=webhook, changes={"is_active": False}, context=context
            ),
        )


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(AlertsAdmin):
    labels = {"delivery_id": "Delivery ID"}
    list_display = [
        "delivery_id",
        "webhook",
        "event_name",
        "status",
        "attempts",
        "response_status",
        "latency",
        "created_at",
    ]
    list_filter = ["status"]
    search_fields = ["delivery_id", "webhook__url"]
    date_hierarchy = "created_at"
    actions = ["redeliver_selected"]
    readonly_fields = [
        "delivery_id",
        "webhook",
        "event",
        "status",
        "attempts",
        "next_attempt_at",
        "response_status",
        "response_body",
        "error",
        "latency_ms",
        "created_at",
        "last_attempt_at",
        "delivered_at",
    ]
    exclude = ["organization", "lease_until"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("webhook", "event")

    @admin.display(description="Event", ordering="event__name")
    def event_name(self, delivery):
        return delivery.event.name

    @admin.display(description="Latency", ordering="latency_ms")
    def latency(self, delivery):
        return "" if delivery.latency_ms is None else f"{delivery.latency_ms} ms"

    @admin.action(description="Deliver again", permissions=["operate"])
    def redeliver_selected(self, request, queryset):
        self._each(
            request,
            queryset.select_related("webhook"),
            "Queued again",
            lambda delivery, context: services.redeliver(delivery=delivery, context=context),
        )
