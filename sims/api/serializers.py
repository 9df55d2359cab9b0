import json

from rest_framework import serializers

from core.parsers import json_depth
from core.serializers import FleetModelSerializer, FleetSerializer
from sims.models import ConnectivityReset, LimitSet, Order, Sim, SimEvent, SimStatus
from sims.services.orders import is_orderable

MAX_TAGS = 50
MAX_METADATA_BYTES = 16 * 1024
MAX_METADATA_DEPTH = 5  # the metadata object itself is level 1


class SimSerializer(FleetModelSerializer):
    organization_id = serializers.IntegerField(read_only=True)

    class Meta:
        model = Sim
        fields = [
            "id",
            "iccid",
            "iccid_with_luhn",
            "imsi",
            "msisdn",
            "status",
            "label",
            "ip_address",
            "imei",
            "organization_id",
            "tags",
            "activation_date",
            "last_synced_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class SimDetailSerializer(SimSerializer):
    quota = serializers.SerializerMethodField()

    class Meta(SimSerializer.Meta):
        fields = [
            *SimSerializer.Meta.fields,
            "imsi_2",
            "current_imsi",
            "ipv6_address",
            "imei_lock",
            "current_rat",
            "current_country",
            "current_operator",
            "metadata",
            "quota",
            "missing_upstream_since",
        ]
        read_only_fields = fields
        row_methods = ["quota"]  # reads the SIM's own columns only (core.fastread)

    def get_quota(self, sim) -> dict:
        return {
            "data_remaining_bytes": sim.data_quota_remaining_bytes,
            "data_total_bytes": sim.data_quota_total_bytes,
            "sms_remaining": sim.sms_quota_remaining,
            "sms_total": sim.sms_quota_total,
        }


def validate_tags(tags: list[str]) -> list[str]:
    if len(tags) > MAX_TAGS:
        raise serializers.ValidationError(f"At most {MAX_TAGS} tags.")
    return sorted(set(tags))


def validate_metadata(metadata: dict) -> dict:
    """Metadata is stored as PostgreSQL jsonb and copied into audit rows and events, after
    1NCE has applied the rest of the change: refuse here what could fail there (deep
    nesting, NUL, unpaired surrogates) and bound its size."""
    if json_depth(metadata, limit=MAX_METADATA_DEPTH) > MAX_METADATA_DEPTH:
        raise serializers.ValidationError(f"At most {MAX_METADATA_DEPTH} levels of nesting.")
    pending = [metadata]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            pending.extend(node.keys())
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
        elif isinstance(node, str) and "\x00" in node:
            raise serializers.ValidationError("Text must not contain NUL characters.")
    try:
        size = len(json.dumps(metadata, ensure_ascii=False).encode())
    except UnicodeEncodeError:
        raise serializers.ValidationError("Text must be valid Unicode.") from None
    if size > MAX_METADATA_BYTES:
        raise serializers.ValidationError(f"At most {MAX_METADATA_BYTES} bytes of JSON.")
    return metadata


class SimChangeSerializer(FleetSerializer):
    """What a caller may change on a SIM (every field optional; PUT and PATCH alike)."""

    label = serializers.CharField(max_length=200, allow_blank=True, required=False)
    imei_lock = serializers.BooleanField(required=False)
    status = serializers.ChoiceField(
        choices=[SimStatus.ENABLED, SimStatus.DISABLED], required=False
    )
    tags = serializers.ListField(
        child=serializers.RegexField(r"^[\w.:-]{1,64}$"),
        required=False,
        max_length=MAX_TAGS,
        validators=[],
    )
    metadata = serializers.DictField(required=False)

    def validate_tags(self, tags):
        return validate_tags(tags)

    def validate_metadata(self, metadata):
        return validate_metadata(metadata)

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError("Give at least one field to change.")
        return attrs


class SimConfigItemSerializer(SimChangeSerializer):
    iccid = serializers.CharField(max_length=32)

    def validate(self, attrs):
        return attrs


class SimConfigureSerializer(FleetSerializer):
    sims = SimConfigItemSerializer(many=True, allow_empty=False, max_length=1000)


class SimConfigResultSerializer(FleetSerializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    failed = serializers.IntegerField()
    sims = serializers.ListField(child=serializers.DictField())


class SimStatusSerializer(FleetSerializer):
    iccid = serializers.CharField()
    status = serializers.CharField()
    status_details = serializers.DictField()
    activation_date = serializers.DateTimeField(allow_null=True)
    last_checked = serializers.DateTimeField(allow_null=True)


class ConnectivitySerializer(FleetSerializer):
    iccid = serializers.CharField()
    connected = serializers.BooleanField()
    connection_details = serializers.DictField()
    timestamp = serializers.DateTimeField()
    stale = serializers.BooleanField()
    age_seconds = serializers.IntegerField()


class ResetRequestSerializer(FleetSerializer):
    reset_type = serializers.ChoiceField(choices=["soft"], default="soft")


class ResetSerializer(FleetModelSerializer):
    reset_id = serializers.IntegerField(source="pk", read_only=True)
    iccid = serializers.CharField(source="sim.iccid", read_only=True)
    status_url = serializers.SerializerMethodField()

    class Meta:
        model = ConnectivityReset
        fields = [
            "reset_id",
            "iccid",
            "status",
            "requested_at",
            "expected_completion",
            "completed_at",
            "error",
            "status_url",
        ]

    def get_status_url(self, reset) -> str:
        return f"/api/v1/sims/{reset.sim.iccid}/reset/status"


class SimEventSerializer(FleetModelSerializer):
    timestamp = serializers.DateTimeField(source="occurred_at")

    class Meta:
        model = SimEvent
        fields = [
            "id",
            "event_type",
            "category",
            "severity",
            "source",
            "description",
            "details",
            "timestamp",
        ]


class LimitsSerializer(FleetModelSerializer):
    sms_allowed_destinations = serializers.ListField(
        child=serializers.RegexField(r"^\d{1,15}$"), required=False, max_length=500
    )
    sms_blocked_destinations = serializers.ListField(
        child=serializers.RegexField(r"^\d{1,15}$"), required=False, max_length=500
    )

    class Meta:
        model = LimitSet
        fields = [
            "daily_data_limit",
            "monthly_data_limit",
            "daily_sms_limit",
            "monthly_sms_limit",
            "enforce_limits",
            "sms_allowed_destinations",
            "sms_blocked_destinations",
            "alert_threshold_percent",
            "updated_at",
        ]
        read_only_fields = ["updated_at"]
        extra_kwargs = {
            "daily_data_limit": {"min_value": 0},
            "monthly_data_limit": {"min_value": 0},
            "daily_sms_limit": {"min_value": 0},
            "monthly_sms_limit": {"min_value": 0},
            "alert_threshold_percent": {"min_value": 1, "max_value": 100},
        }

    def validate(self, attrs):
        daily, monthly = attrs.get("daily_data_limit"), attrs.get("monthly_data_limit")
        if daily is not None and monthly is not None and daily > monthly:
            raise serializers.ValidationError(
                {"daily_data_limit": ["Cannot exceed the monthly data limit."]}
            )
        return attrs


class SimLimitsSerializer(FleetSerializer):
    iccid = serializers.CharField()
    limits = LimitsSerializer(allow_null=True)
    effective = serializers.DictField()


class OrderItemSerializer(FleetSerializer):
    product_id = serializers.IntegerField(min_value=1)
    quantity = serializers.IntegerField(min_value=1)


class OrderCreateSerializer(FleetSerializer):
    items = OrderItemSerializer(many=True, allow_empty=False, max_length=20)


class OrderSerializer(FleetModelSerializer):
    class Meta:
        model = Order
        fields = [
            "id",
            "order_number",
            "order_type",
            "status",
            "upstream_status",
            "items",
            "total_amount",
            "currency",
            "created_at",
            "updated_at",
        ]


class ChargeSerializer(FleetSerializer):
    name = serializers.CharField()
    amount_net = serializers.DecimalField(max_digits=12, decimal_places=4, allow_null=True)
    currency = serializers.CharField()


class ProductSerializer(FleetSerializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    material = serializers.CharField()
    package_size = serializers.IntegerField(allow_null=True)
    min_quantity = serializers.IntegerField(allow_null=True)
    max_quantity = serializers.IntegerField(allow_null=True)
    orderable = serializers.SerializerMethodField()
    one_time_charges = ChargeSerializer(many=True)
    recurring_charges = ChargeSerializer(many=True)

    def get_orderable(self, product) -> bool:
        """Whether ``POST /api/v1/orders`` accepts it (top-ups and extensions: no)."""
        return is_orderable(product)
