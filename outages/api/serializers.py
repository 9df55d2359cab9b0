import math
from collections.abc import Mapping
from decimal import Decimal

from django.contrib.auth import get_user_model
from rest_framework import serializers

from core.errors import InvalidInput
from core.serializers import FleetModelSerializer, FleetSerializer
from outages import sla
from outages.models import (
    Outage,
    OutageStatus,
    RcaAction,
    RootCauseAnalysis,
    RootCauseCategory,
    Severity,
    TimelineEntry,
)
from outages.selectors import RESULT_COLUMNS, result_of, sla_status
from outages.settlement import NOT_SETTLED

User = get_user_model()


def validated(serializer: serializers.Serializer) -> dict:
    """The serializer's data, or seed 004's validation error: ``details.field`` names the first
    field refused and ``details.allowed_values`` its choices, beside ``details.errors``."""
    if serializer.is_valid():
        return serializer.validated_data
    errors = serializer.errors
    field = next(iter(errors))
    details: dict = {"field": field}
    declared = serializer.fields.get(field)
    if isinstance(declared, serializers.ChoiceField):
        details["allowed_values"] = list(declared.choices)
    problems = errors[field]
    first = problems[0] if isinstance(problems, list) and problems else problems
    message = (
        f"Invalid outage {field} level" if field == "severity" else f"Invalid {field}: {first}"
    )
    raise InvalidInput(errors, message=message, details=details)


class LocationSerializer(FleetSerializer):
    latitude = serializers.FloatField(min_value=-90, max_value=90)
    longitude = serializers.FloatField(min_value=-180, max_value=180)

    def validate(self, attrs):
        for name, value in attrs.items():
            if not math.isfinite(value):  # NaN passes min/max comparisons
                raise serializers.ValidationError({name: "Enter a finite number."})
        return attrs


def location_fields(data: dict) -> dict:
    """``location`` as the model's latitude/longitude (six decimals, about 10 cm)."""
    if "location" not in data:
        return {}
    location = data.pop("location")
    if location is None:
        return {"latitude": None, "longitude": None}
    return {
        name: Decimal(str(location[name])).quantize(Decimal("0.000001"))
        for name in ("latitude", "longitude")
    }


class OutageCreateSerializer(FleetSerializer):
    site_name = serializers.CharField(max_length=200)
    site_id = serializers.CharField(max_length=64, required=False, allow_blank=True)
    severity = serializers.ChoiceField(choices=Severity.choices)
    description = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    affected_services = serializers.ListField(
        child=serializers.CharField(max_length=32), required=False, max_length=50
    )
    affected_subscribers = serializers.IntegerField(
        min_value=0, max_value=2_000_000_000, required=False
    )
    location = LocationSerializer(required=False, allow_null=True)
    assigned_to = serializers.CharField(
        max_length=150, required=False, allow_null=True, allow_blank=True
    )
    detected_at = serializers.DateTimeField(required=False, help_text="Defaults to now.")


class OutageChangeSerializer(FleetSerializer):
    """PUT (and PATCH) change only the fields given (seed 004's PUT body is partial)."""

    status = serializers.ChoiceField(choices=OutageStatus.choices, required=False)
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    resolved_at = serializers.DateTimeField(required=False)
    detected_at = serializers.DateTimeField(required=False)
    root_cause = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    resolution_notes = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    description = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    site_name = serializers.CharField(max_length=200, required=False)
    site_id = serializers.CharField(max_length=64, required=False, allow_blank=True)
    affected_services = serializers.ListField(
        child=serializers.CharField(max_length=32), required=False, max_length=50
    )
    affected_subscribers = serializers.IntegerField(
        min_value=0, max_value=2_000_000_000, required=False
    )
    location = LocationSerializer(required=False, allow_null=True)
    assigned_to = serializers.CharField(
        max_length=150, required=False, allow_null=True, allow_blank=True
    )
    reason = serializers.CharField(
        required=False,
        max_length=1000,
        help_text="Why a timestamp taken from SIM evidence is changed (required then).",
    )


class OutageCreatedSerializer(FleetSerializer):
    id = serializers.CharField()
    site_name = serializers.CharField()
    status = serializers.CharField()
    detected_at = serializers.DateTimeField()
    message = serializers.CharField()


class OutageUpdatedSerializer(FleetSerializer):
    id = serializers.CharField()
    status = serializers.CharField()
    message = serializers.CharField()
    sla_triggered = serializers.BooleanField()
    sla_status = serializers.DictField()


class OutageSerializer(FleetModelSerializer):
    """A list row (seed 004's list item) with the SLA status. The view passes ``terms`` (per
    organization and severity) and ``settlements`` (per outage id) in the context, read once
    per page. A page is read as rows (``core.fastread``): the methods read the outage's own
    columns and the related ones ``row_columns`` names."""

    id = serializers.CharField(source="public_id")
    assigned_to = serializers.SerializerMethodField()
    sla_status = serializers.SerializerMethodField()

    class Meta:
        model = Outage
        fields = [
            "id",
            "site_name",
            "site_id",
            "severity",
            "status",
            "detected_at",
            "resolved_at",
            "description",
            "affected_services",
            "affected_subscribers",
            "assigned_to",
            "sla_status",
        ]
        row_methods = ["id", "assigned_to", "sla_status"]
        row_columns = [
            f"assigned_to__{User.USERNAME_FIELD}",
            *(f"sla_result__{name}" for name in RESULT_COLUMNS),
            "sla_result__config__version",
        ]

    def get_assigned_to(self, outage) -> str | None:
        if not outage.assigned_to_id:
            return None
        return getattr(outage.assigned_to, User.USERNAME_FIELD)

    def get_sla_status(self, outage) -> dict:
        terms = self.context["terms"][(outage.organization_id, outage.severity)]
        settlement = NOT_SETTLED
        if result_of(outage) is not None:  # only a result is ever settled
            settlement = self.context.get("settlements", {}).get(outage.pk, NOT_SETTLED)
        return sla_status(outage, terms, settlement, self.context.get("now"))


class TimelineEntrySerializer(FleetModelSerializer):
    timestamp = serializers.DateTimeField(source="occurred_at")
    user = serializers.CharField(source="actor_name")

    class Meta:
        model = TimelineEntry
        fields = ["timestamp", "event", "user", "kind"]


class RcaActionSerializer(FleetModelSerializer):
    id = serializers.IntegerField(required=False)
    description = serializers.CharField(max_length=500)
    owner = serializers.CharField(max_length=150)

    class Meta:
        model = RcaAction
        fields = ["id", "description", "owner", "due_date", "done", "done_at"]
        read_only_fields = ["done_at"]

    def to_internal_value(self, data):
        # An action is sent back as it was read (``id`` keeps it): its ``done_at`` is the
        # server's to set, ignored rather than refused; any other unknown key is still refused.
        if isinstance(data, Mapping) and "done_at" in data:
            data = {key: value for key, value in data.items() if key != "done_at"}
        return super().to_internal_value(data)


class RcaSerializer(FleetModelSerializer):
    outage_id = serializers.CharField(source="outage.public_id", read_only=True)
    category = serializers.ChoiceField(choices=RootCauseCategory.choices)
    contributing_factors = serializers.ListField(
        child=serializers.CharField(max_length=500), required=False, max_length=50
    )
    summary = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    actions = RcaActionSerializer(many=True, required=False, max_length=100)
    updated_by = serializers.SerializerMethodField()

    class Meta:
        model = RootCauseAnalysis
        fields = [
            "outage_id",
            "category",
            "contributing_factors",
            "summary",
            "actions",
            "created_at",
            "updated_at",
            "updated_by",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def get_updated_by(self, rca) -> str | None:
        return rca.updated_by.get_username() if rca.updated_by_id else None


class OutageDetailSerializer(OutageSerializer):
    """Seed 004's outage detail: the row plus location, creator, payment, timeline and RCA."""

    created_by = serializers.SerializerMethodField()
    location = serializers.SerializerMethodField()
    stellar_payment = serializers.SerializerMethodField()
    timeline = TimelineEntrySerializer(many=True, read_only=True)
    rca = serializers.SerializerMethodField()

    class Meta(OutageSerializer.Meta):
        fields = [
            *OutageSerializer.Meta.fields,
            "root_cause",
            "resolution_notes",
            "created_by",
            "location",
            "mttr_minutes",
            "stellar_payment",
            "timeline",
            "rca",
        ]

    def get_created_by(self, outage) -> str:
        return outage.created_by.get_username() if outage.created_by_id else "system"

    def get_location(self, outage) -> dict | None:
        if outage.latitude is None or outage.longitude is None:
            return None
        return {"latitude": float(outage.latitude), "longitude": float(outage.longitude)}

    def get_stellar_payment(self, outage) -> dict | None:
        return self.context.get("settlements", {}).get(outage.pk, NOT_SETTLED).payment

    def get_rca(self, outage) -> dict | None:
        try:
            rca = outage.rca
        except RootCauseAnalysis.DoesNotExist:
            return None
        return RcaSerializer(rca).data


class SlaTermsSerializer(FleetSerializer):
    threshold_minutes = serializers.IntegerField()
    penalty_per_minute = serializers.DecimalField(
        max_digits=12, decimal_places=2, coerce_to_string=False
    )
    reward_base = serializers.DecimalField(max_digits=12, decimal_places=2, coerce_to_string=False)
    version = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    created_by = serializers.SerializerMethodField()

    def get_created_by(self, config) -> str:
        return config.created_by.get_username() if config.created_by_id else "system"


class SlaConfigChangeSerializer(FleetSerializer):
    """The bounds are ``outages.sla``'s (checked again by the service for every caller)."""

    threshold_minutes = serializers.IntegerField(
        required=False,
        min_value=sla.THRESHOLD_MINUTES_BOUNDS[0],
        max_value=sla.THRESHOLD_MINUTES_BOUNDS[1],
    )
    penalty_per_minute = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        required=False,
        min_value=sla.PENALTY_PER_MINUTE_BOUNDS[0],
        max_value=sla.PENALTY_PER_MINUTE_BOUNDS[1],
    )
    reward_base = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        required=False,
        min_value=sla.REWARD_BASE_BOUNDS[0],
        max_value=sla.REWARD_BASE_BOUNDS[1],
    )


class SlaCalculateSerializer(FleetSerializer):
    outage_id = serializers.CharField(max_length=32)
