"""Domain errors: what a service raises when a rule refuses, with no knowledge of HTTP.

A service (or selector) raises one of these; ``core.exceptions.exception_handler`` is the one
place that turns each into a status and an envelope, so the API, the console, a task and a
command reach the same rule by the same call and read the same refusal. ``code`` is the
envelope's error code (seed 001's table plus ours); ``details`` is the envelope's details.
"""

from typing import Any


class DomainError(Exception):
    """Base of every refusal a service can give; subclasses name the kind."""

    code = "BAD_REQUEST"
    default_message = "The request could not be processed."

    def __init__(self, message: str | None = None, *, details: dict | None = None):
        self.message = message or self.default_message
        self.details = details or {}
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


class NotFound(DomainError):
    code = "NOT_FOUND"
    default_message = "The requested resource was not found."


class NotAuthenticated(DomainError):
    """Credentials that identify nobody: a wrong password, a refresh token no longer good (401)."""

    code = "UNAUTHORIZED"
    default_message = "Authentication credentials were not provided or are invalid."


class PermissionDenied(DomainError):
    code = "FORBIDDEN"
    default_message = "You do not have permission to perform this action."


class InvalidInput(DomainError):
    """Input a rule refuses (422). ``errors`` maps a field (or a tuple path) to messages, or is
    a list of ``{"loc", "msg", "type"}``; the envelope carries them in ``details.errors``."""

    code = "VALIDATION_ERROR"
    default_message = "Request validation failed."

    def __init__(
        self,
        errors: dict | list | str | None = None,
        *,
        message: str | None = None,
        details: dict | None = None,
        kind: str | None = None,
    ):
        # ``kind`` names the rule that refused (``type`` "value_error.<kind>"; "invalid" else).
        self.errors = field_errors(errors, kind=kind) if errors is not None else []
        merged = dict(details or {})
        if self.errors:
            merged.setdefault("errors", self.errors)
        super().__init__(message, details=merged)


class BadRequest(DomainError):
    """A malformed request that is not a field's fault (400)."""


class InvalidIccid(BadRequest):
    """An ICCID that is not 19 digits, or 20 with the right Luhn digit (400, seed 001)."""

    code = "INVALID_ICCID"
    default_message = "The provided ICCID is invalid."


class Conflict(DomainError):
    code = "CONFLICT"
    default_message = "The request conflicts with the current state of the resource."


class UpstreamNotConnected(Conflict):
    """The organization has no account for an upstream it asked to reach (see
    ``core.upstream_accounts``)."""

    code = "UPSTREAM_NOT_CONFIGURED"
    default_message = "No upstream account is connected to this organization."


class Unavailable(DomainError):
    """A dependency of ours (broker, database) is down; the client may retry (503)."""

    code = "SERVICE_UNAVAILABLE"
    default_message = "The service is temporarily unavailable."


class UpstreamWriteFailed(DomainError):
    """A write (a top-up, an SMS, ...) that did not complete at the upstream. The envelope's
    status and code follow the upstream failure that stopped it (``cause``); ``details`` says
    what was applied, what was not and what is still unknown."""

    code = "UPSTREAM_ERROR"

    def __init__(self, message: str, *, cause: Exception | None, details: dict):
        super().__init__(message, details=details)
        self.cause = cause


def field_errors(errors: Any, loc: tuple = (), kind: str | None = None) -> list[dict]:
    """``[{"loc", "msg", "type"}]`` from a mapping of field to message(s), nested mappings and
    lists, or a plain message (``type`` from the message's own ``code``, else ``kind``, else
    "invalid"). Entries already in that shape pass through."""
    if isinstance(errors, dict):
        if {"loc", "msg"} <= errors.keys():
            return [{"type": "value_error", **errors}]
        out = []
        for key, value in errors.items():
            path = key if isinstance(key, tuple) else (key,)
            out.extend(field_errors(value, (*loc, *path), kind))
        return out
    if isinstance(errors, list | tuple):
        if all(isinstance(item, str) for item in errors):
            return [e for item in errors for e in field_errors(item, loc, kind)]
        return [e for i, item in enumerate(errors) for e in field_errors(item, (*loc, i), kind)]
    code = getattr(errors, "code", None) or kind or "invalid"
    return [{"loc": list(loc) or ["body"], "msg": str(errors), "type": f"value_error.{code}"}]
