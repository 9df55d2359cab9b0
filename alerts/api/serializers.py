from rest_framework import serializers

from alerts.models import Alert, AlertRule, Webhook, WebhookDelivery
from core.models import DomainEvent
from core.serializers import FleetModelSerializer, FleetSerializer


class WebhookSerializer(FleetModelSerializer):
    class Meta:
        model = Webhook
        fields = [
            "id",
            "url",
            "description",
            "event_types",
            "is_active",
            "consecutive_failures",
            "disabled_at",
            "disabled_reason",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "consecutive_failures",
            "disabled_at",
            "disabled_reason",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {"event_types": {"help_text": 'Event names or patterns such as "quota.*".'}}

    event_types = serializers.ListField(child=serializers.CharField(max_length=64), min_length=1)
    url = serializers.CharField(max_length=500)


class WebhookCreatedSerializer(WebhookSerializer):
    secret = serializers.CharField(
        read_only=True, help_text="Signs every delivery. Shown once: store it now."
    )

    class Meta(WebhookSerializer.Meta):
        fields = [*WebhookSerializer.Meta.fields, "secret"]


class WebhookDeliverySerializer(FleetModelSerializer):
    event = serializers.CharField(source="event.name", read_only=True)
    event_id = serializers.CharField(source="event.event_id", read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "delivery_id",
            "event",
            "event_id",
            "status",
            "attempts",
            "response_status",
            "latency_ms",
            "error",
            "created_at",
            "last_attempt_at",
            "next_attempt_at",
            "delivered_at",
        ]
        read_only_fields = fields


class AlertRuleSerializer(FleetModelSerializer):
    event_types = serializers.ListField(child=serializers.CharField(max_length=64), min_length=1)
    conditions = serializers.DictField(required=False)
    channels = serializers.ListField(child=serializers.DictField(), min_length=1)

    class Meta:
        model = AlertRule
        fields = [
            "id",
            "name",
            "event_types",
            "conditions",
            "channels",
            "dedup_window_minutes",
            "notify_after_minutes",
            "quiet_period_minutes",
            "is_active",
            "is_default",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["is_default", "created_at", "updated_at"]


class EventSerializer(FleetModelSerializer):
    id = serializers.CharField(source="event_id", read_only=True)
    event = serializers.CharField(source="name", read_only=True)

    class Meta:
        model = DomainEvent
        fields = ["id", "event", "subject", "occurred_at", "data"]
        read_only_fields = fields


class AlertSerializer(FleetModelSerializer):
    rule = serializers.CharField(source="rule.name", read_only=True)
    rule_id = serializers.IntegerField(read_only=True)

    class Meta:
        model = Alert
        fields = [
            "id",
            "title",
            "rule",
            "rule_id",
            "event_type",
            "subject",
            "severity",
            "status",
            "event_count",
            "first_event_at",
            "last_event_at",
            "notified_at",
            "acknowledged_at",
            "resolved_at",
            "resolution",
        ]
        read_only_fields = fields


class AlertDetailSerializer(AlertSerializer):
    events = serializers.SerializerMethodField()

    class Meta(AlertSerializer.Meta):
        fields = [*AlertSerializer.Meta.fields, "events"]

    def get_events(self, alert) -> list[dict]:
        recent = alert.events.order_by("-occurred_at", "-id")[:50]
        return EventSerializer(recent, many=True).data


class ResolveSerializer(FleetSerializer):
    resolution = serializers.CharField(max_length=200, required=False, allow_blank=True)
