"""Event-type patterns (``quota.*``) and the receivers FleetOps may call.

Both rules are used by webhooks and by alert channels, written once here.
"""

import ipaddress
import socket
from fnmatch import fnmatchcase
from urllib.parse import urlsplit

from django.conf import settings

from core.errors import InvalidInput
from core.events import EVENT_NAMES


def matches(patterns: list[str], name: str) -> bool:
    """Whether event ``name`` is one of ``patterns`` ("*", "quota.*", "sim.activated")."""
    return any(fnmatchcase(name, pattern) for pattern in patterns)


def validate_patterns(patterns, *, field: str = "event_types") -> list[str]:
    """The patterns, each matching at least one known event; else ``InvalidInput``."""
    if not isinstance(patterns, list) or not patterns:
        raise InvalidInput({field: "Give at least one event type."})
    bad = [
        p
        for p in patterns
        if not isinstance(p, str) or not any(matches([p], n) for n in EVENT_NAMES)
    ]
    if bad:
        raise InvalidInput(
            {field: f"Unknown event type(s): {', '.join(map(str, bad))}."},
            details={"allowed_values": list(EVENT_NAMES)},
        )
    return list(dict.fromkeys(patterns))


def validate_receiver_url(url: str, *, field: str = "url") -> str:
    """``url`` if FleetOps may send to it: https (http only where allowed), and every address
    its host resolves to public unless private networks are allowed. Checked when the URL is
    saved and again before every send (a name may resolve elsewhere later)."""
    parts = urlsplit(url or "")
    allowed_schemes = {"https", "http"} if settings.WEBHOOK_ALLOW_HTTP else {"https"}
    if parts.scheme not in allowed_schemes or not parts.hostname:
        raise InvalidInput({field: f"Use an {' or '.join(sorted(allowed_schemes))} URL."})
    if parts.username or parts.password:
        raise InvalidInput({field: "Credentials in the URL are not accepted."})
    if not settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS:
        for address in _addresses(parts.hostname, parts.port or 443, field):
            if not address.is_global or address.is_multicast:
                raise InvalidInput(
                    {field: "The URL resolves to a private, loopback or reserved address."}
                )
    return url


def _addresses(host: str, port: int, field: str) -> list:
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        raise InvalidInput({field: f"The host {host!r} cannot be resolved."}) from None
    return [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
