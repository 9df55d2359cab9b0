"""Answers of the provisioning API. Request bodies are checked by ``provisioning.validation``
(through the services); their OpenAPI schemas come from the same rules (``schemas``)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.serializers import FleetModelSerializer
from provisioning import validation
from provisioning.models import CustomerAuthorization, ProvisioningRequest, Subscriber

SUBSCRIBER_DATA_SCHEMA = {
    "type": "object",
    "properties": {
        "iccid": {"type": "string"},
        "imsi": {"type": "string"},
        "msisdn": {"type": "string"},
        "cust_id": {"type": "string"},
        "admin_info": {"type": "string"},
        "aor": {"type": "object", "additionalProperties": True},
        "apn": {**validation.APN.schema(), "nullable": True},
        "subscriber_state": {"type": "boolean"},
        "network_access_list": validation.NETWORK_ACCESS_LIST.schema(),
        "block_data_usage": {"type": "object", "additionalProperties": True, "nullable": True},
        "contract": {"type": "object", "additionalProperties": True},
        "credit": {"type": "object", "additionalProperties": True},
    },
}


def mirror_data(row: Subscriber) -> dict:
    """A mirrored subscriber in the shape of seed 003's ``data`` (no AOR password)."""
    return {
        "iccid": row.iccid,
        "imsi": row.imsi,
        "msisdn": row.msisdn,
        "cust_id": row.cust_id,
        "admin_info": row.admin_info,
        "aor": {"domain_id": row.aor_domain_id, "auth_username": row.aor_username},
        "apn": row.apn,
        "subscriber_state": row.subscriber_state,
        "network_access_list": row.network_access_list,
        "block_data_usage": row.block_data_usage,
        "contract": {
            "service_package": row.service_package,
            "service_profile": row.service_profile,
            "contract_start": row.contract_start.isoformat() if row.contract_start else None,
            "duration": row.duration,
        },
        "credit": {"max_credit": float(row.max_credit) if row.max_credit is not None else None},
    }


def _object(description: str):
    return extend_schema_field(
        {"type": "object", "additionalProperties": True, "description": description}
    )


class SubscriberSerializer(FleetModelSerializer):
    """One mirrored subscriber in seed 003's ``data`` shape, plus when we last synced it."""

    aor = serializers.SerializerMethodField()
    contract = serializers.SerializerMethodField()
    credit = serializers.SerializerMethodField()

    class Meta:
        model = Subscriber
        fields = [
            "iccid",
            "imsi",
            "msisdn",
            "cust_id",
            "admin_info",
            "aor",
            "apn",
            "subscriber_state",
            "network_access_list",
            "block_data_usage",
            "contract",
            "credit",
            "created_at",
            "updated_at",
            "synced_at",
        ]
        read_only_fields = fields

    @_object("domain_id and auth_username (the password is never shown).")
    def get_aor(self, row) -> dict:
        return mirror_data(row)["aor"]

    @_object("service_package, service_profile, contract_start, duration.")
    def get_contract(self, row) -> dict:
        return mirror_data(row)["contract"]

    @_object("max_credit.")
    def get_credit(self, row) -> dict:
        return mirror_data(row)["credit"]


class ProvisioningRequestSerializer(FleetModelSerializer):
    """Seed 003's user request resource, plus what we know of it."""

    request_id = serializers.UUIDField(source="id", read_only=True)
    last_updated = serializers.DateTimeField(source="updated_at", read_only=True)

    class Meta:
        model = ProvisioningRequest
        fields = [
            "request_id",
            "progress",
            "status",
            "last_updated",
            "request_info",
            "operation",
            "iccid",
            "msisdn",
            "cust_id",
            "queued",
            "upstream_request_id",
            "error_message",
            "created_at",
            "completed_at",
        ]
        read_only_fields = fields


class CustomerAuthorizationSerializer(FleetModelSerializer):
    granted_by = serializers.CharField(source="granted_by.username", default=None, read_only=True)

    class Meta:
        model = CustomerAuthorization
        fields = ["cust_id", "granted_by", "created_at"]
        read_only_fields = fields
