"""The audit trail: ``record_audit`` is called by services inside the transaction it records."""

from typing import Any

from accounts.models import AuditLog, AuditStatus
from core.context import SYSTEM, Context
from core.logging import redact_value

# Deeper than any body we accept; beyond it a member is replaced, so redaction can neither
# recurse without bound nor fail the audit entry of a change already made upstream.
MAX_REDACT_DEPTH = 32


def redact(value: Any) -> Any:
    """A copy of ``value`` with every secret-named member replaced (``core.logging``'s rule)."""
    return redact_value(value, max_depth=MAX_REDACT_DEPTH)


def record_audit(
    *,
    operation: str,
    resource_type: str,
    resource_id: str = "",
    context: Context = SYSTEM,
    user=None,
    organization=None,
    status: str = AuditStatus.SUCCESS,
    request_body: Any = None,
    response_status: int | None = None,
    error_message: str = "",
) -> AuditLog:
    """Write one audit entry. ``context`` supplies the actor, address, user agent and request
    id; ``user`` names someone else when the entry is about them rather than by the actor (a
    login, whose context has no actor yet)."""
    if user is None:
        user = context.actor
    if user is not None and not user.is_authenticated:
        user = None
    if organization is None and user is not None:
        organization = user.organization
    return AuditLog.objects.create(
        user=user,
        username=user.get_username() if user is not None else "",
        organization=organization,
        operation=operation,
        resource_type=resource_type,
        resource_id=str(resource_id)[:128],
        status=status,
        request_body=redact(request_body) if request_body is not None else None,
        response_status=response_status,
        error_message=error_message[:2000],
        ip_address=context.ip_address,
        user_agent=context.user_agent,
        request_id=context.request_id,
    )
