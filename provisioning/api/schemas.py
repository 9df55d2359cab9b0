"""OpenAPI schemas of the provisioning bodies and seed-shaped answers, built from the rules in
``provisioning.validation`` (one place for each pattern)."""

from provisioning import validation
from provisioning.api.serializers import SUBSCRIBER_DATA_SCHEMA

META_REF = {"$ref": "#/components/schemas/Meta"}

CREATE_BODY = validation.CREATE_SUBSCRIBER.schema()


def aspect_body(aspect: str) -> dict:
    return validation.ASPECTS[aspect].schema()


REQUEST_RESOURCE = {
    "type": "object",
    "required": ["request_id", "status", "last_updated"],
    "properties": {
        "request_id": {"type": "string", "format": "uuid"},
        "progress": {"type": "string", "nullable": True, "example": "100%"},
        "status": {
            "type": "string",
            "enum": ["queued", "processing", "completed", "failed", "enriched"],
        },
        "last_updated": {"type": "string", "format": "date-time"},
        "request_info": {"type": "string", "nullable": True},
        "operation": {"type": "string"},
        "iccid": {"type": "string"},
        "msisdn": {"type": "string"},
        "cust_id": {"type": "string"},
        "queued": {"type": "boolean"},
        "upstream_request_id": {"type": "string"},
        "error_message": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time"},
        "completed_at": {"type": "string", "format": "date-time", "nullable": True},
    },
}

# The envelope (success, data, meta) with seed 003's resource members also at the top level.
REQUEST_ANSWER = {
    "type": "object",
    "required": ["success", "data", "meta", "request_id", "status"],
    "properties": {
        "success": {"type": "boolean"},
        "data": REQUEST_RESOURCE,
        **REQUEST_RESOURCE["properties"],
        "meta": META_REF,
    },
}

READ_ANSWER = {
    "type": "object",
    "required": ["success", "data", "status", "request_id", "cached", "meta"],
    "properties": {
        "success": {"type": "boolean"},
        "data": SUBSCRIBER_DATA_SCHEMA,
        "status": {"type": "string", "example": "completed"},
        "reason": {"type": "string", "nullable": True, "example": "OK"},
        "request_id": {"type": "string"},
        "cached": {"type": "boolean"},
        "meta": META_REF,
    },
}
