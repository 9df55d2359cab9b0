"""Every validation rule of seed 003, written once: the v1 API, the legacy facade, the console
and tasks reach them through the services, and the OpenAPI schema is built from them.

A rule set checks a JSON body and answers the cleaned value or raises
``core.errors.InvalidInput`` with seed 003's 422 items, ``{"loc", "msg", "type"}``
(``loc`` starts with ``"body"``, or ``["path", "id"]`` for the identifier), all errors of
the body at once. Unknown members are refused, each named (the project's strict-fields rule,
``core.serializers.StrictFieldsMixin``): its ``loc`` is the member's path inside the body, without
the ``"body"`` prefix, as the serializers of every other app name it.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from core.errors import InvalidInput
from core.tenancy import ORGANIZATION_PARAMETER

ICCID_PATTERN = r"^8931\d{16}$"
MSISDN_PATTERN = r"^(316\d{8}|31970\d{8})$"
IDENTIFIER_PATTERN = r"^(8931\d{16}|316\d{8}|31970\d{8})$"
CUST_ID_PATTERN = r"^9[0-9]{6}$"
AOR_CREDENTIAL_PATTERN = r"^\+?[a-zA-Z0-9\-.@*#]{4,16}$"
APN_NAME_PATTERN = r"^([a-z0-9\-.]){2,43}\.[a-z]{2,10}$"
ADMIN_INFO_MAX_LENGTH = 24
DURATIONS = (0, 1, 12, 18, 24, 36, 48, 60)
PROFILES_WITH_DATA = frozenset({1, 3, 5, 7})  # these need an APN; 0, 2, 4, 6 may have none
ZONES = ("zoneNL", "zone1", "zone2", "zone3", "zone4", "zone5")
BLOCK_SCOPES = ("outside_eu_regulation", "all")
MISSING = object()
UNKNOWN_FIELD = "Unknown field; this body accepts: {allowed}."


def _error(errors: list, loc: tuple, msg: str, kind: str) -> None:
    errors.append({"loc": list(loc), "msg": msg, "type": kind})


def refuse_unknown(value: Any, allowed, loc: tuple, errors: list) -> None:
    """One error per member of ``value`` (a dict) that ``allowed`` does not name. At the top of
    a body, ``organization_id`` names the organization a write is for (``core.viewsets``)."""
    if not isinstance(value, dict):
        return
    known = set(allowed)
    if loc == ("body",):
        known.add(ORGANIZATION_PARAMETER)
    accepts = ", ".join(sorted(allowed)) or "no fields"
    inner = loc[1:] if loc[:1] == ("body",) else loc
    for key in value:
        if key not in known:
            _error(
                errors, (*inner, str(key)), UNKNOWN_FIELD.format(allowed=accepts), "unknown_field"
            )


def validate_members(body: Any, allowed) -> None:
    """``InvalidInput`` naming every member of ``body`` that ``allowed`` does not name."""
    errors: list = []
    refuse_unknown(body, allowed, ("body",), errors)
    _raise(errors)


@dataclass(frozen=True)
class Rule:
    nullable: bool = False
    required: bool = True
    description: str = ""

    def check(self, value: Any, loc: tuple, errors: list) -> Any:
        if value is None:
            if not self.nullable:
                _error(errors, loc, "none is not an allowed value", "type_error.none.not_allowed")
            return None
        return self.clean(value, loc, errors)

    def clean(self, value: Any, loc: tuple, errors: list) -> Any:
        raise NotImplementedError

    def schema(self) -> dict:
        schema = self.base_schema()
        if self.nullable:
            schema["nullable"] = True
        if self.description:
            schema["description"] = self.description
        return schema

    def base_schema(self) -> dict:
        raise NotImplementedError


@dataclass(frozen=True)
class Text(Rule):
    pattern: str | None = None
    max_length: int | None = None

    def clean(self, value, loc, errors):
        if not isinstance(value, str):
            _error(errors, loc, "str type expected", "type_error.str")
            return None
        if self.max_length is not None and len(value) > self.max_length:
            _error(
                errors,
                loc,
                f"ensure this value has at most {self.max_length} characters",
                "value_error.any_str.max_length",
            )
        # The whole value, ASCII digits only: ``re.match`` lets ``$`` pass a trailing newline
        # and ``\d`` any script's digits, which PMNL would not accept (nor our columns hold).
        if self.pattern and not re.fullmatch(self.pattern, value, re.ASCII):
            _error(
                errors,
                loc,
                f"string does not match regex '{self.pattern}'",
                "value_error.str.regex",
            )
        return value

    def base_schema(self):
        schema = {"type": "string"}
        if self.pattern:
            schema["pattern"] = self.pattern
        if self.max_length is not None:
            schema["maxLength"] = self.max_length
        return schema


@dataclass(frozen=True)
class Choice(Rule):
    values: tuple = ()

    def clean(self, value, loc, errors):
        if value not in self.values:
            allowed = ", ".join(f"'{v}'" for v in self.values)
            _error(
                errors,
                loc,
                f"value is not a valid enumeration member; permitted: {allowed}",
                "type_error.enum",
            )
        return value

    def base_schema(self):
        return {"type": "string", "enum": list(self.values)}


@dataclass(frozen=True)
class Boolean(Rule):
    def clean(self, value, loc, errors):
        if not isinstance(value, bool):
            _error(errors, loc, "value could not be parsed to a boolean", "type_error.bool")
        return value

    def base_schema(self):
        return {"type": "boolean"}


@dataclass(frozen=True)
class Integer(Rule):
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple | None = None
    message: str = ""  # replaces the range or choice message

    def clean(self, value, loc, errors):
        if isinstance(value, bool) or not isinstance(value, int):
            _error(errors, loc, "value is not a valid integer", "type_error.integer")
            return None
        if self.choices is not None and value not in self.choices:
            _error(
                errors, loc, self.message or f"must be one of {list(self.choices)}", "value_error"
            )
        if self.minimum is not None and value < self.minimum:
            _error(
                errors,
                loc,
                self.message or f"ensure this value is greater than or equal to {self.minimum}",
                "value_error.number.not_ge",
            )
        if self.maximum is not None and value > self.maximum:
            _error(
                errors,
                loc,
                self.message or f"ensure this value is less than or equal to {self.maximum}",
                "value_error.number.not_le",
            )
        return value

    def base_schema(self):
        schema = {"type": "integer"}
        if self.minimum is not None:
            schema["minimum"] = self.minimum
        if self.maximum is not None:
            schema["maximum"] = self.maximum
        if self.choices is not None:
            schema["enum"] = list(self.choices)
        return schema


@dataclass(frozen=True)
class Amount(Rule):
    """A number with at most two decimals within [minimum, maximum]; cleaned to Decimal."""

    minimum: Decimal = Decimal("0")
    maximum: Decimal = Decimal("99999.99")

    def clean(self, value, loc, errors):
        if isinstance(value, bool) or not isinstance(value, int | float):
            _error(errors, loc, "value is not a valid float", "type_error.float")
            return None
        try:
            amount = Decimal(str(value))
        except InvalidOperation:
            _error(errors, loc, "value is not a valid float", "type_error.float")
            return None
        if not amount.is_finite():
            _error(errors, loc, "value is not a valid float", "type_error.float")
            return None
        if amount < self.minimum:
            _error(
                errors,
                loc,
                f"ensure this value is greater than or equal to {self.minimum}",
                "value_error.number.not_ge",
            )
        elif amount > self.maximum:
            _error(
                errors,
                loc,
                f"ensure this value is less than or equal to {self.maximum}",
                "value_error.number.not_le",
            )
        elif amount != amount.quantize(Decimal("0.01")):
            _error(
                errors,
                loc,
                "ensure that there are no more than 2 decimal places",
                "value_error.decimal.max_places",
            )
        return amount

    def base_schema(self):
        return {
            "type": "number",
            "minimum": float(self.minimum),
            "maximum": float(self.maximum),
            "multipleOf": 0.01,
        }


@dataclass(frozen=True)
class Speed(Rule):
    """Kilobits per second (an integer of at least 1) or the literal ``"max"``."""

    def clean(self, value, loc, errors):
        if value == "max":
            return value
        if isinstance(value, bool) or not isinstance(value, int):
            _error(errors, loc, "Speed must be a positive integer (kbps) or 'max'", "value_error")
            return None
        if value < 1:
            _error(errors, loc, "Speed must be at least 1 kbps", "value_error")
        return value

    def base_schema(self):
        return {"oneOf": [{"type": "integer", "minimum": 1}, {"type": "string", "enum": ["max"]}]}


@dataclass(frozen=True)
class Timestamp(Rule):
    """An RFC 3339 timestamp with its offset."""

    def clean(self, value, loc, errors):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except (AttributeError, ValueError):
            parsed = None
        if parsed is None or parsed.tzinfo is None:
            _error(
                errors,
                loc,
                "invalid datetime format (RFC 3339 with offset)",
                "value_error.datetime",
            )
            return None
        return parsed.isoformat()

    def base_schema(self):
        return {"type": "string", "format": "date-time"}


@dataclass(frozen=True)
class Obj(Rule):
    fields: dict = field(default_factory=dict)

    def clean(self, value, loc, errors):
        if not isinstance(value, dict):
            _error(errors, loc, "value is not a valid dict", "type_error.dict")
            return None
        refuse_unknown(value, self.fields, loc, errors)
        cleaned = {}
        for name, rule in self.fields.items():
            member = value.get(name, MISSING)
            if member is MISSING:
                if rule.required:
                    _error(errors, (*loc, name), "field required", "value_error.missing")
                continue
            cleaned[name] = rule.check(member, (*loc, name), errors)
        return cleaned

    def base_schema(self):
        return {
            "type": "object",
            "properties": {name: rule.schema() for name, rule in self.fields.items()},
            "required": [name for name, rule in self.fields.items() if rule.required],
        }


AOR = Obj(
    fields={
        "domain_id": Integer(minimum=1, maximum=99999),
        "auth_username": Text(pattern=AOR_CREDENTIAL_PATTERN),
        "auth_password": Text(pattern=AOR_CREDENTIAL_PATTERN),
    },
    description="Address of Record (SIP) settings.",
)
APN = Obj(
    fields={
        "name": Text(pattern=APN_NAME_PATTERN),
        "speed_up": Speed(),
        "speed_down": Speed(),
    },
    description="Access Point Name; speeds in kbps or 'max'.",
)
NETWORK_ACCESS_LIST = Obj(
    fields={zone: Boolean() for zone in ZONES}, description="All six zones are required."
)
CONTRACT = Obj(
    fields={
        "service_package": Integer(
            minimum=1_000_000, maximum=9_999_999, message="service_package must have 7 digits"
        ),
        "service_profile": Integer(minimum=0, maximum=7),
        "duration": Integer(choices=DURATIONS, message="Invalid duration"),
    }
)
CREDIT = Obj(fields={"max_credit": Amount()})
STATE = Obj(fields={"subscriber_state": Boolean()})
BLOCK_DATA_USAGE = Obj(
    fields={
        "enabled": Boolean(),
        "block_until": Timestamp(nullable=True, required=False),
        "scope": Choice(values=BLOCK_SCOPES, nullable=True, required=False),
    },
    description="EU regulation data blocking; a scope is required when enabled.",
)
CREATE_SUBSCRIBER = Obj(
    fields={
        "iccid": Text(pattern=ICCID_PATTERN),
        "msisdn": Text(pattern=MSISDN_PATTERN),
        "cust_id": Text(pattern=CUST_ID_PATTERN),
        "admin_info": Text(max_length=ADMIN_INFO_MAX_LENGTH),
        "aor": AOR,
        "apn": Obj(fields=APN.fields, nullable=True, required=False, description=APN.description),
        "subscriber_state": Boolean(),
        "network_access_list": NETWORK_ACCESS_LIST,
        "contract": CONTRACT,
        "credit": CREDIT,
    }
)
# PATCH /subscribers/{id}/<aspect>: the body each aspect takes.
ASPECTS = {
    "aor": AOR,
    "state": STATE,
    "apn": APN,
    "network-access-list": NETWORK_ACCESS_LIST,
    "credit": CREDIT,
    "block-data-usage": BLOCK_DATA_USAGE,
}


def _raise(errors: list) -> None:
    if errors:
        raise InvalidInput(errors)


def validate_create(body: Any) -> dict:
    """A create body, cleaned; ``InvalidInput`` with every failing rule otherwise."""
    errors: list = []
    cleaned = CREATE_SUBSCRIBER.check(body, ("body",), errors) or {}
    profile = (cleaned.get("contract") or {}).get("service_profile")
    if (
        profile in PROFILES_WITH_DATA
        and cleaned.get("apn") is None
        and not any(e["loc"][:2] == ["body", "apn"] for e in errors)
    ):
        _error(
            errors,
            ("body", "apn"),
            "APN is required for service profiles 1, 3, 5 and 7",
            "value_error",
        )
    _raise(errors)
    return cleaned


def validate_aspect(aspect: str, body: Any, *, identifier: Any = MISSING) -> dict:
    """The body of one aspect's update, cleaned (``ASPECTS``); with ``identifier``, the
    subscriber's path identifier is checked too, its errors answered with the body's."""
    errors: list = []
    if identifier is not MISSING:
        Text(pattern=IDENTIFIER_PATTERN).check(identifier, ("path", "id"), errors)
    cleaned = ASPECTS[aspect].check(body, ("body",), errors) or {}
    scope_missing = cleaned.get("enabled") and not cleaned.get("scope")
    if (
        aspect == "block-data-usage"
        and scope_missing
        and not any(e["loc"][:2] == ["body", "scope"] for e in errors)
    ):
        _error(errors, ("body", "scope"), "scope is required when enabled", "value_error")
    _raise(errors)
    return cleaned


def validate_identifier(value: Any, *, loc: tuple = ("path", "id")) -> str:
    """An ICCID or MSISDN (seed 003's path pattern); answers which: "iccid" or "msisdn"."""
    errors: list = []
    Text(pattern=IDENTIFIER_PATTERN).check(value, loc, errors)
    _raise(errors)
    return "iccid" if value.startswith("8931") else "msisdn"


def needs_apn(profile: int | None) -> bool:
    return profile in PROFILES_WITH_DATA


def validate_cust_id(value: Any, *, loc: tuple = ("body", "cust_id")) -> str:
    errors: list = []
    Text(pattern=CUST_ID_PATTERN).check(value, loc, errors)
    _raise(errors)
    return value
