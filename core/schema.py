"""drf-spectacular post-processing: show the FleetOps envelope in the OpenAPI schema.

Every 2xx JSON answer is documented wrapped in ``{success, data, meta}`` unless the
operation says ``extensions={"x-envelope": False}`` (token endpoints, legacy shapes); every
operation gets the error envelope as its ``default`` response.
"""

META = {
    "type": "object",
    "properties": {
        "timestamp": {"type": "string", "format": "date-time"},
        "request_id": {"type": "string", "example": "req_8f14e45fceea167a5a36dedd4bea2543"},
    },
}
PAGINATION = {
    "type": "object",
    "required": ["total", "page", "page_size", "total_pages", "has_next", "has_prev"],
    "properties": {
        "total": {"type": "integer"},
        "page": {"type": "integer"},
        "page_size": {"type": "integer"},
        "total_pages": {"type": "integer"},
        "has_next": {"type": "boolean"},
        "has_prev": {"type": "boolean"},
        "offset": {"type": "integer"},
        "skip": {"type": "integer"},
        "limit": {"type": "integer"},
    },
}
ERROR_ENVELOPE = {
    "type": "object",
    "required": ["success", "error", "meta"],
    "properties": {
        "success": {"type": "boolean", "example": False},
        "error": {
            "type": "object",
            "required": ["code", "message", "details", "timestamp"],
            "properties": {
                "code": {"type": "string", "example": "VALIDATION_ERROR"},
                "message": {"type": "string"},
                "details": {"type": "object", "additionalProperties": True},
                "timestamp": {"type": "string", "format": "date-time"},
            },
        },
        "meta": {"$ref": "#/components/schemas/Meta"},
    },
}


def wrap_in_envelope(result, generator, request, public):
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("Meta", META)
    schemas.setdefault("Pagination", PAGINATION)
    schemas.setdefault("ErrorEnvelope", ERROR_ENVELOPE)
    for path, operations in result.get("paths", {}).items():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            enveloped = operation.pop("x-envelope", True) and path.startswith("/api/v1/")
            for code, response in operation["responses"].items():
                if not str(code).startswith("2") or not enveloped:
                    continue
                content = response.get("content", {}).get("application/json")
                if not content or _is_enveloped(content.get("schema", {})):
                    continue
                content["schema"] = {
                    "type": "object",
                    "required": ["success", "data", "meta"],
                    "properties": {
                        "success": {"type": "boolean", "example": True},
                        "data": content.get("schema", {}),
                        "meta": {"$ref": "#/components/schemas/Meta"},
                    },
                }
            operation["responses"].setdefault(
                "default",
                {
                    "description": "Error in the FleetOps envelope.",
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/ErrorEnvelope"}
                        }
                    },
                },
            )
    return result


def _is_enveloped(schema: dict) -> bool:
    return "success" in schema.get("properties", {})
