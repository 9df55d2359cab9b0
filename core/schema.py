"""drf-spectacular customisation: the OpenAPI schema shows what the API really answers.

``FleetAutoSchema`` (the API's ``DEFAULT_SCHEMA_CLASS``) documents, for every operation, the
error statuses it can answer, in the error envelope. Most are derived from the view (see
``FleetAutoSchema.error_statuses``); what cannot be derived is declared on the handler with
``answers_errors(...)``, or ``calls_upstream`` for handlers that call an upstream (1NCE, PMNL,
Stellar) during the request.

Every operation is tagged with its app (the console's names for the areas), summarised by the
first sentence of its handler's docstring and described by the rest (see
``FleetAutoSchema.get_summary``); the standard actions of a viewset that keep DRF's handlers
are described from their model. The ``one_path_form`` pre-processing hook writes every path
without a trailing slash, as the README and the seeds do (the routes accept both).

The ``wrap_in_envelope`` post-processing hook then wraps every 2xx JSON answer in
``{success, data, meta}`` unless the operation says ``extensions={"x-envelope": False}`` (token
endpoints, legacy shapes). Paginated lists are already documented in their envelope
(``core.pagination``): ``data`` is the item array, ``pagination`` sits beside it.
"""

import inspect
import re
from http import HTTPStatus

from django.apps import apps
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


# The viewset actions whose handler is DRF's own (no docstring of ours): summary and what the
# operation does, from the model's names; the view's docstring (the resource) follows.
STANDARD_ACTIONS = {
    "list": (
        "List {plural}",
        "The {plural} of the caller's organization, one page at a time (filter, search and"
        " sort with the query parameters).",
    ),
    "retrieve": (
        "Get {name}",
        "Answers {name} by its identifier; another organization's answers 404.",
    ),
    "create": ("Create {name}", "Creates {name} in the caller's organization."),
    "update": (
        "Replace {name}",
        "Replaces every writable field; the whole body is validated first.",
    ),
    "partial_update": ("Update {name}", "Changes the fields sent and keeps the others."),
    "destroy": ("Delete {name}", "Deletes {name} of the caller's organization."),
}
# How these words are written in prose, whatever the model's or app's verbose name says.
_WORDS = {"sim": "SIM", "sims": "SIMs", "sms": "SMS", "api": "API", "mt": "MT", "mo": "MO"}
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z`(])")


def prose(name: str) -> str:
    """``sim`` -> ``SIM``, ``api key`` -> ``API key``, ``Sms`` -> ``SMS``."""
    return " ".join(_WORDS.get(word.lower(), word) for word in name.split())


def with_article(name: str) -> str:
    return f"{'an' if name[:1].lower() in 'aeio' else 'a'} {name}"


def own_doc(obj) -> str:
    """``obj``'s own docstring, cleaned: a class's not inherited from its bases (a base view's
    text says nothing of this one), a handler's only when it is ours (DRF's have none)."""
    if obj is None:
        return ""
    doc = obj.__dict__.get("__doc__") if inspect.isclass(obj) else getattr(obj, "__doc__", None)
    return inspect.cleandoc(doc) if doc else ""


def method_doc(doc: str, method: str) -> str:
    """The part of a handler's docstring about ``method``: a handler that serves several
    methods starts a paragraph per method with ``GET:``, ``PUT:``, ...; the paragraphs without
    such a prefix are about all of them and follow."""
    paragraphs = [p.strip() for p in doc.split("\n\n") if p.strip()]
    prefixed = re.compile(r"^(GET|POST|PUT|PATCH|DELETE):\s*")
    own = [prefixed.sub("", p) for p in paragraphs if p.startswith(f"{method}:")]
    if not own:
        return doc
    return "\n\n".join(own + [p for p in paragraphs if not prefixed.match(p)])


def split_doc(doc: str) -> tuple[str, str]:
    """A docstring's summary (its first sentence, without the full stop) and the rest."""
    first, _, rest = doc.strip().partition("\n\n")
    sentences = _SENTENCE_END.split(" ".join(first.split()), maxsplit=1)
    description = "\n\n".join(part for part in (*sentences[1:], rest.strip()) if part)
    return sentences[0].rstrip("."), description


def area(view_class: type) -> str:
    """The API area a view belongs to: its app, by the console's name for it (``SIMs``)."""
    for cls in view_class.__mro__:  # a view class made at run time: its base's app
        app = apps.get_containing_app_config(cls.__module__)
        if app:
            return prose(str(app.verbose_name))
    return ""


class FleetAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema plus every error status the operation can answer, a tag
    per app and a summary and description per operation from the handler's docstring."""

    def get_tags(self) -> list[str]:
        name = area(type(self.view))
        return [name] if name else super().get_tags()

    def get_summary(self) -> str:
        return self._summary_and_description()[0]

    def get_description(self) -> str:
        return self._summary_and_description()[1]

    def _summary_and_description(self) -> tuple[str, str]:
        """The handler's docstring: its first sentence is the summary, the rest the description,
        or the view's docstring when the handler's says nothing more. A handler serving several
        methods has a paragraph per method (see ``method_doc``). A standard action on DRF's
        handler gets its words from ``STANDARD_ACTIONS``."""
        action = getattr(self.view, "action", None)
        handler = getattr(self.view, action or self.method.lower(), None)
        view_doc = own_doc(type(self.view))
        handler_doc = own_doc(getattr(handler, "__func__", handler))
        if not handler_doc and action in STANDARD_ACTIONS:
            summary, text = STANDARD_ACTIONS[action]
            names = self._model_names()
            return summary.format(**names), "\n\n".join(
                part for part in (text.format(**names), view_doc) if part
            )
        summary, description = split_doc(method_doc(handler_doc, self.method) or view_doc)
        if handler_doc and not description:
            description = view_doc
        return summary, description

    def _model_names(self) -> dict[str, str]:
        """``name`` (with its article) and ``plural`` of the view's model."""
        model = getattr(getattr(self.view, "queryset", None), "model", None)
        if model is None:
            serializer = getattr(self.view, "serializer_class", None)
            model = getattr(getattr(serializer, "Meta", None), "model", None)
        if model is None:
            return {"name": "an item", "plural": "items"}
        meta = model._meta
        return {
            "name": with_article(prose(str(meta.verbose_name))),
            "plural": prose(str(meta.verbose_name_plural)),
        }

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        name = area(type(self.view))
        if name:  # the app's area, whatever tags a handler's extend_schema names
            operation["tags"] = [name]
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


def one_path_form(endpoints):
    """Pre-processing hook: every path without a trailing slash, the form the README and the
    seeds write (the routes answer both: ``core.routers.FleetRouter``)."""
    return [
        (path.rstrip("/") if len(path) > 1 else path, path_regex, method, callback)
        for path, path_regex, method, callback in endpoints
    ]


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
            in_api = path == "/api/v1" or path.startswith("/api/v1/")
            enveloped = operation.pop("x-envelope", True) and in_api
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
