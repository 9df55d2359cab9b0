from datetime import datetime

from rest_framework import serializers

from core.serializers import FleetModelSerializer, FleetSerializer
from sms import services
from sms.models import SmsEncoding, SmsMessage


class SmsMessageSerializer(FleetModelSerializer):
    iccid = serializers.CharField(source="sim.iccid", read_only=True)
    status_url = serializers.SerializerMethodField()
    outcome_pending = serializers.SerializerMethodField()
    settles_by = serializers.SerializerMethodField()

    class Meta:
        model = SmsMessage
        fields = [
            "id",
            "sms_id",
            "iccid",
            "direction",
            "message",
            "encoding",
            "status",
            "failure_reason",
            "source_address",
            "retry_count",
            "created_at",
            "submitted_at",
            "sent_at",
            "delivered_at",
            "finished_at",
            "expires_at",
            "submission",
            "outcome_pending",
            "settles_by",
            "status_url",
        ]
        # They read the message's own columns, its SIM's ICCID and is_final (core.fastread).
        row_methods = ["status_url", "outcome_pending", "settles_by"]

    def get_status_url(self, sms) -> str:
        return services.status_url(sms)

    def get_outcome_pending(self, sms) -> bool:
        """True while the send may or may not have reached 1NCE (never sent again meanwhile)."""
        return services.is_outcome_pending(sms)

    def get_settles_by(self, sms) -> datetime | None:
        return services.settles_by(sms) if services.is_outcome_pending(sms) else None


class SmsSendSerializer(FleetSerializer):
    message = serializers.CharField(trim_whitespace=False, max_length=1000)
    encoding = serializers.ChoiceField(choices=SmsEncoding.choices, default=SmsEncoding.GSM7)


class SmsAcceptedSerializer(FleetModelSerializer):
    """Seed 001's 202 answer."""

    iccid = serializers.CharField(source="sim.iccid")
    status_url = serializers.SerializerMethodField()
    outcome_pending = serializers.SerializerMethodField()

    class Meta:
        model = SmsMessage
        fields = [
            "sms_id",
            "iccid",
            "message",
            "encoding",
            "status",
            "submission",
            "outcome_pending",
            "created_at",
            "status_url",
        ]
        # They read the message's own columns, its SIM's ICCID and is_final (core.fastread).
        row_methods = ["status_url", "outcome_pending", "settles_by"]

    def get_status_url(self, sms) -> str:
        return services.status_url(sms)

    def get_outcome_pending(self, sms) -> bool:
        return services.is_outcome_pending(sms)
