"""The small context a service receives instead of the request: who acts, and from where.

Services record it in audit entries and events; they never see HTTP. The API builds one with
``Context.from_request``, the console the same way, a task or a command with
``Context.system()`` or ``Context(actor=user)``.
"""

from dataclasses import dataclass
from typing import Any

from core.net import client_address


def authenticated(user):
    """``user`` when it is an authenticated user, else None (anonymous, or nobody)."""
    return user if user is not None and user.is_authenticated else None


@dataclass(frozen=True, slots=True)
class Context:
    actor: Any = None  # an authenticated user, or None for the system
    ip_address: str | None = None
    user_agent: str = ""
    request_id: str = ""
    via: str = "system"  # "api", "console", "task", "command", "system"

    @classmethod
    def from_request(cls, request, *, via: str = "api") -> "Context":
        """The context of a Django or DRF request: its authenticated user, address, agent, id."""
        return cls(
            actor=authenticated(getattr(request, "user", None)),
            ip_address=client_address(request),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:512],
            request_id=getattr(request, "request_id", "") or "",
            via=via,
        )

    @classmethod
    def system(cls, *, via: str = "system", actor=None) -> "Context":
        return cls(actor=authenticated(actor), via=via)

    @property
    def organization(self):
        """The actor's organization, or None (the system, a superuser without one)."""
        return getattr(self.actor, "organization", None)

    @property
    def acts_as_admin(self) -> bool:
        """Whether the change may be one only an organization's admins make: the system's, a
        superuser's or an admin's (``User.is_org_admin``), whatever the door (API, console)."""
        return self.actor is None or bool(getattr(self.actor, "is_org_admin", False))


SYSTEM = Context()
