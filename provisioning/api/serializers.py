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


# A mirrored subscriber's objects in the shape of seed 003's ``data`` (no AOR password).
def _aor(row: Subscriber) -> dict:
    return {"domain_id": row.aor_domain_id, "auth_username": row.aor_username}


def _contract(row: Subscriber) -> dict:
    return {
        "service_package": row.service_package,
        "service_profile": row.service_profile,
        "contract_start": row.contract_start.isoformat() if row.contract_start else None,
        "duration": row.duration,
    }


def _credit(row: Subscriber) -> dict:
    return {"max_credit": float(row.max_credit) if row.max_credit is not None else None}


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
        row_methods = ["aor", "contract", "credit"]  # read the row's own columns (core.fastread)

    @_object("domain_id and auth_username (the password is never shown).")
    def get_aor(self, row) -> dict:
        return _aor(row)

    @_object("service_package, service_profile, contract_start, duration.")
    def get_contract(self, row) -> dict:
        return _contract(row)

    @_object("max_credit.")
    def get_credit(self, row) -> dict:
        return _credit(row)


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
