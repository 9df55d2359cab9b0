from rest_framework import serializers

from core.serializers import FleetModelSerializer, FleetSerializer
from sites.models import Criticality, DetectionPolicy, OutageEvidence, Site, SiteOutage
from sites.services.sites import MAX_BULK_SIMS, POLICY_FIELDS


class SiteSerializer(FleetModelSerializer):
    id = serializers.CharField(source="code", read_only=True)
    online = serializers.IntegerField(source="online_count", read_only=True)
    offline = serializers.IntegerField(source="offline_count", read_only=True)
    sims = serializers.IntegerField(source="sim_count", read_only=True)
    online_share = serializers.SerializerMethodField()

    class Meta:
        model = Site
        fields = [
            "id",
            "name",
            "location",
            "latitude",
            "longitude",
            "tags",
            "criticality",
            "sims",
            "online",
            "offline",
            "online_share",
            "last_change_at",
            "created_at",
        ]
        read_only_fields = ["last_change_at", "created_at"]

    def get_online_share(self, site) -> float | None:
        share = site.online_share
        return round(share, 4) if share is not None else None


class SiteCreateSerializer(FleetSerializer):
    id = serializers.RegexField(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", help_text="SITE123")
    name = serializers.CharField(max_length=200)
    location = serializers.CharField(max_length=300, required=False, allow_blank=True)
    latitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, min_value=-90, max_value=90, required=False
    )
    longitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, min_value=-180, max_value=180, required=False
    )
    tags = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False, max_length=50
    )
    criticality = serializers.ChoiceField(choices=Criticality.choices, required=False)


class SiteChangeSerializer(SiteCreateSerializer):
    id = None
    name = serializers.CharField(max_length=200, required=False)


class IccidsSerializer(FleetSerializer):
    iccids = serializers.ListField(
        child=serializers.RegexField(r"^[0-9]{19,20}$"),
        min_length=1,
        max_length=MAX_BULK_SIMS,
        help_text="One ICCID or up to 1,000.",
    )


class MovedSerializer(FleetSerializer):
    moved = serializers.IntegerField()


class ShareSampleSerializer(FleetSerializer):
    at = serializers.DateTimeField()
    online = serializers.IntegerField()
    total = serializers.IntegerField()
    online_share = serializers.FloatField()


class EvidenceSerializer(FleetModelSerializer):
    iccid = serializers.CharField(source="sim.iccid")

    class Meta:
        model = OutageEvidence
        fields = ["iccid", "lost_at", "lost_event_id", "restored_at", "restored_event_id"]


class SiteOutageSerializer(FleetModelSerializer):
    outage_id = serializers.CharField(source="outage.public_id")
    detected_at = serializers.DateTimeField(source="outage.detected_at")
    resolved_at = serializers.DateTimeField(source="outage.resolved_at")
    severity = serializers.CharField(source="outage.severity")
    status = serializers.CharField(source="outage.status")
    evidence = EvidenceSerializer(many=True)

    class Meta:
        model = SiteOutage
        fields = [
            "outage_id",
            "state",
            "severity",
            "status",
            "detected_at",
            "resolved_at",
            "first_loss_at",
            "recovered_at",
            "sims_lost",
            "evidence",
        ]


class DetectionPolicySerializer(FleetModelSerializer):
    class Meta:
        model = DetectionPolicy
        fields = list(POLICY_FIELDS)


class DataStreamCreateSerializer(FleetSerializer):
    onence_account_id = serializers.IntegerField(
        required=False, allow_null=True, help_text="Empty: the default 1NCE account you own."
    )


class DataStreamCredentialsSerializer(FleetSerializer):
    username = serializers.CharField()
    password = serializers.CharField(help_text="Shown this once.")
    endpoint = serializers.CharField()


class IngestReportSerializer(FleetSerializer):
    received = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    stored = serializers.IntegerField()
    unknown_sims = serializers.IntegerField()
    transitions = serializers.IntegerField()
    outages_opened = serializers.ListField(child=serializers.CharField())
    outages_resolved = serializers.ListField(child=serializers.CharField())
