from rest_framework import serializers

from sms.models import SmsEncoding, SmsMessage


class SmsMessageSerializer(serializers.ModelSerializer):
    iccid = serializers.CharField(source="sim.iccid", read_only=True)
    status_url = serializers.SerializerMethodField()

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
            "status_url",
        ]

    def get_status_url(self, sms) -> str:
        return f"/api/v1/sims/{sms.sim.iccid}/sms/{sms.sms_id}"


class SmsSendSerializer(serializers.Serializer):
    message = serializers.CharField(trim_whitespace=False, max_length=1000)
    encoding = serializers.ChoiceField(choices=SmsEncoding.choices, default=SmsEncoding.GSM7)


class SmsAcceptedSerializer(serializers.ModelSerializer):
    """Seed 001's 202 answer."""

    iccid = serializers.CharField(source="sim.iccid")
    status_url = serializers.SerializerMethodField()

    class Meta:
        model = SmsMessage
        fields = ["sms_id", "iccid", "message", "encoding", "status", "created_at", "status_url"]

    def get_status_url(self, sms) -> str:
        return f"/api/v1/sims/{sms.sim.iccid}/sms/{sms.sms_id}"
