from datetime import datetime

from django.conf import settings
from rest_framework import serializers

from core.errors import InvalidIccid, InvalidInput
from core.identifiers import normalize_iccid
from core.serializers import FleetModelSerializer, FleetSerializer
from quotas import services
from quotas.models import QuotaStatus, QuotaType, TopUp, TopUpOrder, TopUpOrderStatus
from quotas.services import package_size, packages_for


def whole_packages(**kwargs) -> None:
    """``packages_for``'s refusal as this serializer's field error (so a list item's error
    keeps its place: ``sims[0].volume``)."""
    try:
        packages_for(**kwargs)
    except InvalidInput as exc:
        errors = {e["loc"][-1]: [e["msg"]] for e in exc.errors}
        raise serializers.ValidationError(errors, code="package_size") from None


class IccidField(serializers.CharField):
    """An ICCID inside a body: 19 or 20 digits, normalised to 19 (a field error, not 400)."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        try:
            return normalize_iccid(value)
        except InvalidIccid as exc:
            reason = exc.details.get("reason", "Must be 19-20 digits")
            raise serializers.ValidationError(f"Invalid ICCID: {reason}.", code="iccid") from None


class QuotaSerializer(FleetSerializer):
    """Seed 001's quota answer (data in bytes, SMS in messages)."""

    iccid = serializers.CharField()
    quota_type = serializers.ChoiceField(choices=QuotaType.choices)
    volume = serializers.IntegerField(allow_null=True, help_text="Total of the current quota.")
    used_volume = serializers.IntegerField(allow_null=True)
    remaining_volume = serializers.IntegerField(allow_null=True)
    percentage_used = serializers.FloatField(allow_null=True)
    status = serializers.ChoiceField(choices=QuotaStatus.choices)
    threshold_percentage = serializers.IntegerField(help_text="Percent used.")
    threshold_volume = serializers.IntegerField(allow_null=True)
    threshold_reached = serializers.BooleanField()
    auto_reload = serializers.BooleanField()
    auto_reload_amount = serializers.IntegerField(allow_null=True)
    last_volume_added = serializers.IntegerField(allow_null=True)
    last_status_change_date = serializers.DateTimeField(allow_null=True)
    last_topup_at = serializers.DateTimeField(allow_null=True)
    expiry_date = serializers.DateTimeField(allow_null=True)
    refreshed_at = serializers.DateTimeField(allow_null=True)
    stale = serializers.BooleanField(help_text="True when 1NCE could not be read just now.")


class TopUpRequestSerializer(FleetSerializer):
    quota_type = serializers.ChoiceField(choices=QuotaType.choices)
    volume = serializers.IntegerField(
        min_value=1,
        help_text=(
            "Bytes of data or SMS: a whole number of 1NCE packages "
            f"({settings.TOPUP_DATA_PACKAGE_BYTES} bytes / {settings.TOPUP_SMS_PACKAGE} SMS by "
            "default; one package adds both)."
        ),
    )

    def validate(self, attrs):
        whole_packages(quota_type=attrs["quota_type"], volume=attrs["volume"])
        return attrs


class TopUpResultSerializer(FleetModelSerializer):
    iccid = serializers.CharField(source="sim.iccid")
    volume_added = serializers.SerializerMethodField()
    order_numbers = serializers.SerializerMethodField()
    timestamp = serializers.DateTimeField(source="completed_at")

    class Meta:
        model = TopUp
        fields = [
            "iccid",
            "quota_type",
            "volume_added",
            "new_total",
            "new_remaining",
            "transaction_id",
            "status",
            "packages",
            "order_numbers",
            "timestamp",
        ]

    def get_volume_added(self, topup) -> int:
        return topup.packages * package_size(topup.quota_type)

    def get_order_numbers(self, topup) -> list[str]:
        return [o.order_number for o in topup.orders.all() if o.order_number]


class TopUpPendingSerializer(FleetModelSerializer):
    """The 202 answer to a retry whose earlier call's outcome at 1NCE is still unknown:
    nothing was bought; follow ``status_url``."""

    iccid = serializers.CharField(source="sim.iccid")
    outcome = serializers.SerializerMethodField()
    status_url = serializers.SerializerMethodField()
    settles_by = serializers.SerializerMethodField()

    class Meta:
        model = TopUp
        fields = [
            "iccid",
            "quota_type",
            "volume",
            "transaction_id",
            "status",
            "outcome",
            "status_url",
            "settles_by",
        ]

    def get_outcome(self, topup) -> str:
        return "pending"

    def get_status_url(self, topup) -> str:
        return services.status_url(topup)

    def get_settles_by(self, topup) -> datetime | None:
        return services.settles_by(topup)


class TopUpPackageSerializer(FleetModelSerializer):
    class Meta:
        model = TopUpOrder
        fields = ["sequence", "status", "order_number", "error", "sent_at", "settled_at"]


class TopUpDetailSerializer(FleetModelSerializer):
    """One top-up transaction and each of its packages (upstream calls)."""

    iccid = serializers.CharField(source="sim.iccid")
    volume_added = serializers.SerializerMethodField()
    package_calls = TopUpPackageSerializer(source="orders", many=True)
    settles_by = serializers.SerializerMethodField()

    class Meta:
        model = TopUp
        fields = [
            "iccid",
            "transaction_id",
            "quota_type",
            "volume",
            "packages",
            "status",
            "source",
            "volume_added",
            "new_total",
            "new_remaining",
            "error",
            "created_at",
            "completed_at",
            "settles_by",
            "package_calls",
        ]

    def get_volume_added(self, topup) -> int:
        done = sum(1 for o in topup.orders.all() if o.status == TopUpOrderStatus.COMPLETED)
        return done * package_size(topup.quota_type)

    def get_settles_by(self, topup) -> datetime | None:
        return services.settles_by(topup)


class BulkTopUpItemSerializer(FleetSerializer):
    iccid = IccidField()
    quota_type = serializers.ChoiceField(choices=QuotaType.choices)
    volume = serializers.IntegerField(min_value=1)

    def validate(self, attrs):
        whole_packages(quota_type=attrs["quota_type"], volume=attrs["volume"])
        return attrs


class BulkTopUpRequestSerializer(FleetSerializer):
    sims = BulkTopUpItemSerializer(many=True, allow_empty=False)

    def validate_sims(self, items):
        if len(items) > settings.TOPUP_BULK_MAX_SIMS:
            raise serializers.ValidationError(
                f"At most {settings.TOPUP_BULK_MAX_SIMS} SIMs per bulk top-up."
            )
        seen = set()
        for item in items:
            if item["iccid"] in seen:
                raise serializers.ValidationError(
                    f"ICCID {item['iccid']} is listed twice; give each SIM once."
                )
            seen.add(item["iccid"])
        return items


class AutoTopUpRequestSerializer(FleetSerializer):
    sims = serializers.ListField(
        child=IccidField(), allow_empty=False, max_length=settings.TOPUP_BULK_MAX_SIMS
    )
    quota_type = serializers.ChoiceField(choices=QuotaType.choices, default=QuotaType.DATA)
    threshold_percentage = serializers.IntegerField(
        min_value=1, max_value=100, help_text="Percent of the quota used that triggers it."
    )
    topup_amount = serializers.IntegerField(
        min_value=1, help_text="Bytes or SMS per top-up: a whole number of packages."
    )
    enabled = serializers.BooleanField(default=True)

    def validate_sims(self, iccids):
        return list(dict.fromkeys(iccids))

    def validate(self, attrs):
        whole_packages(
            quota_type=attrs["quota_type"], volume=attrs["topup_amount"], field="topup_amount"
        )
        return attrs


class AutoTopUpDetailSerializer(FleetSerializer):
    iccid = serializers.CharField()
    status = serializers.ChoiceField(choices=["configured", "failed"])
    enabled = serializers.BooleanField(required=False)
    threshold = serializers.IntegerField(required=False)
    topup_amount = serializers.IntegerField(required=False)
    error = serializers.CharField(required=False)


class AutoTopUpResultSerializer(FleetSerializer):
    configured_sims = serializers.IntegerField()
    failed_sims = serializers.IntegerField()
    details = AutoTopUpDetailSerializer(many=True)
