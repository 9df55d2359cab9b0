"""Plain values in and out of the PMNL client (no Django models)."""

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

TERMINAL_STATUSES = frozenset({"completed", "failed", "enriched"})


@dataclass(frozen=True)
class PmnlCredentials:
    """One PMNL account. ``repr`` never shows the secret or the API key."""

    base_url: str
    token_url: str
    client_id: str
    client_secret: str = field(repr=False)
    api_key: str = field(repr=False)

    @classmethod
    def from_settings(cls) -> "PmnlCredentials":
        """The default account: ``PMNL_BASE_URL``, ``PMNL_TOKEN_URL``, ``PMNL_CLIENT_ID``, ..."""
        return cls(
            base_url=settings.PMNL_BASE_URL,
            token_url=settings.PMNL_TOKEN_URL,
            client_id=settings.PMNL_CLIENT_ID,
            client_secret=settings.PMNL_CLIENT_SECRET,
            api_key=settings.PMNL_API_KEY,
        )

    @property
    def complete(self) -> bool:
        return all(
            (self.base_url, self.token_url, self.client_id, self.client_secret, self.api_key)
        )


@dataclass(frozen=True)
class UserRequest:
    """PMNL's user request resource: the outcome (or progress) of one write."""

    request_id: str
    status: str  # queued, processing, completed, failed, enriched
    progress: str | None
    last_updated: str
    request_info: str | None

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @classmethod
    def from_json(cls, body: dict) -> "UserRequest":
        return cls(
            request_id=str(body["request_id"]),
            status=str(body["status"]),
            progress=body.get("progress"),
            last_updated=str(body.get("last_updated") or ""),
            request_info=body.get("request_info"),
        )


@dataclass(frozen=True)
class SubscriberRead:
    """A subscriber as PMNL answers it, ``data`` in seed 003's ``SubscriberReadResource``."""

    data: dict[str, Any]
    status: str
    reason: str | None
    request_id: str
    cached: bool

    @classmethod
    def from_json(cls, body: dict) -> "SubscriberRead":
        return cls(
            data=dict(body["data"]),
            status=str(body.get("status") or "completed"),
            reason=body.get("reason"),
            request_id=str(body.get("request_id") or ""),
            cached=bool(body.get("cached", False)),
        )
