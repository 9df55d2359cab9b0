"""Audit entries for core's own services.

The audit log belongs to ``accounts`` (it names users and organizations), which sits above
``core``; so ``accounts`` registers its recorder here when it starts, as apps register
dashboard panels, and core's services call :func:`record` with their ``Context``.
"""

from collections.abc import Callable
from typing import Any

from core.context import Context

_recorder: Callable[..., Any] | None = None


def register_recorder(recorder: Callable[..., Any]) -> None:
    """Install the function that writes an audit entry (``accounts`` does, at start)."""
    global _recorder
    _recorder = recorder


def record(
    *,
    operation: str,
    resource_type: str,
    resource_id: str,
    context: Context,
    request_body=None,
    organization=None,
) -> None:
    """Write one audit entry for ``context``'s actor, in the caller's transaction;
    ``organization`` is the one the change concerns (default: the actor's)."""
    if _recorder is None:
        raise RuntimeError("No audit recorder is registered (is the accounts app installed?).")
    _recorder(
        operation=operation,
        resource_type=resource_type,
        resource_id=resource_id,
        context=context,
        request_body=request_body,
        organization=organization,
    )
