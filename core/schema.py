"""drf-spectacular customisation: the OpenAPI schema shows what the API really answers.

``FleetAutoSchema`` (the API's ``DEFAULT_SCHEMA_CLASS``) documents, for every operation, the
error statuses it can answer, in the error envelope. Most are derived from the view (see
``FleetAutoSchema.error_statuses``); what cannot be derived is declared on the handler with
``answers_errors(...)``, or ``calls_upstream`` for handlers that call an upstream (1NCE, PMNL,
Stellar) during the request.

The ``wrap_in_envelope`` post-processing hook then wraps every 2xx JSON answer in
``{success, data, meta}`` unless the operation says ``extensions={"x-envelope": False}`` (token
endpoints, legacy shapes). Paginated lists are already documented in their envelope
(``core.pagination``): ``data`` is the item array, ``pagination`` sits beside it.
"""

from http import HTTPStatus

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework.permissions import AllowAny

from core.identifiers import ICCID_PATTERN

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
ERROR_ENVELOPE_REF = "#/components/schemas/ErrorEnvelope"

# What a caller should read into each documented error status.
ERROR_DESCRIPTIONS = {
    400: "Malformed request (unparsable body, invalid identifier such as INVALID_ICCID).",
    401: "Missing, invalid, revoked or expired credentials.",
    403: "The caller's role (or a read-only API key) does not allow this operation.",
    404: "No such resource in the caller's organization.",
    409: "Conflicts with the resource's state, or no upstream account is connected.",
    413: "Request body too large.",
    406: "No representation satisfies the Accept header (ask for application/json).",
    415: "Unsupported request content type (send application/json).",
    422: "Validation failed; field errors in error.details.errors.",
    429: "Rate limit exceeded; see Retry-After and error.details.retry_after.",
    502: "The upstream refused or failed the call (UPSTREAM_ERROR).",
    503: "The upstream or a dependency (database, cache, broker) is unavailable.",
    504: "The upstream did not answer in time (GATEWAY_TIMEOUT).",
}
# The organization a platform superuser's organization-scoped request acts for
# (``core.viewsets.target_organization``); members act for their own.
ORGANIZATION_ID_PARAMETER = OpenApiParameter(
    "organization_id",
    int,
    description=(
        "Platform superusers: the organization this request acts for (required when the"
        " superuser belongs to none; also accepted in the body). Members act for their own."
    ),
)

# Statuses of a handler that calls an upstream during the request: its failures (404 when
# the upstream does not know the object) and 409 when the organization has no account there.
UPSTREAM_ERROR_STATUSES = frozenset({404, 409, 502, 503, 504})
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def answers_errors(*statuses: int):
    """Declare error statuses a view handler answers beyond those ``FleetAutoSchema`` derives.

    Use on the handler (``post``, ``create``, an ``@action``), above ``@action``; repeated uses
    add up.
    """
    unknown = set(statuses) - set(ERROR_DESCRIPTIONS)
    if unknown:
        raise ValueError(f"No description for error statuses {sorted(unknown)}.")

    def decorate(handler):
        handler.error_statuses = frozenset(getattr(handler, "error_statuses", ())) | set(statuses)
        return handler

    return decorate


# The handler calls an upstream during the request: 404, 409, 502, 503, 504.
calls_upstream = answers_errors(*UPSTREAM_ERROR_STATUSES)


def error_response(status: int) -> dict:
    """An OpenAPI response object for ``status`` in the error envelope."""
    response = {
        "description": ERROR_DESCRIPTIONS.get(status, HTTPStatus(status).phrase),
        "content": {"application/json": {"schema": {"$ref": ERROR_ENVELOPE_REF}}},
    }
    if status == 429:
        response["headers"] = {
            "Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}
        }
    return response


class FleetAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema plus every error status the operation can answer."""

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        for parameter in operation.get("parameters", []):
            if parameter.get("in") == "path" and parameter.get("name") == "iccid":
                parameter["schema"] = {"type": "string", "pattern": ICCID_PATTERN}
                parameter["description"] = "ICCID: 19 digits, or 20 with the Luhn check digit."
        for status in sorted(self.error_statuses(operation)):
            operation["responses"].setdefault(str(status), error_response(status))
        return operation

    def error_statuses(self, operation: dict) -> set[int]:
        """The error statuses of ``operation``, derived from what the view does with it.

        Every operation → 406 (an Accept header no renderer satisfies); authenticated (any
        authentication class) → 401; throttled → 429; writes → 400, and
        403 unless anyone may call it; a request body → 400, 413, 415, 422; query parameters
        (filters, pagination, dates) → 422; path parameters → 400 (malformed ids) and 404;
        plus what the handler declares with ``answers_errors``/``calls_upstream``.
        """
        parameters = operation.get("parameters", [])
        in_path = any(p.get("in") == "path" for p in parameters)
        in_query = any(p.get("in") == "query" for p in parameters)
        body = "requestBody" in operation
        write = self.method in WRITE_METHODS

        statuses = {406, *self._declared_error_statuses()}
        if operation.get("security"):
            statuses.add(401)
        if self.view.get_throttles():
            statuses.add(429)
        if write:
            statuses.add(400)
            if not all(isinstance(p, AllowAny) for p in self.view.get_permissions()):
                statuses.add(403)  # roles, read-only keys, CSRF for session callers
        if body:
            statuses |= {400, 413, 415, 422}
        if in_query:
            statuses.add(422)
        if in_path:
            statuses |= {400, 404}
        return statuses

    def _declared_error_statuses(self) -> frozenset[int]:
        action = getattr(self.view, "action", None) or self.method.lower()
        handler = getattr(self.view, action, None)
        return getattr(handler, "error_statuses", frozenset()) | getattr(
            self.view, "error_statuses", frozenset()
        )


def wrap_in_envelope(result, generator, request, public):
    """Post-processing hook: the envelope around 2xx answers, and its components."""
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
                if not content or _is_enveloped(content.get("schema", {}), schemas):
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
    return result


def _is_enveloped(schema: dict, components: dict) -> bool:
    """Whether ``schema`` (inline or a component ``$ref``, such as a paginated list's) is an
    envelope already."""
    ref = schema.get("$ref", "")
    if ref.startswith("#/components/schemas/"):
        schema = components.get(ref.rsplit("/", 1)[1], {})
    return "success" in schema.get("properties", {})
