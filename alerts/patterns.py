"""Event-type patterns (``quota.*``) and the receivers FleetOps may call.

Both rules are used by webhooks and by alert channels, written once here. A receiver's URL is
checked when it is saved (``validate_receiver_url``) and every connection to it goes through
``receiver_session`` or ``receiver_pool``, which check the address they actually connect to:
a name that resolved to a public address when it was saved (or a moment ago) and to a private
one now (DNS rebinding) is refused before a byte is sent.
"""

import ipaddress
import socket
from fnmatch import fnmatchcase
from urllib.parse import urlsplit

import certifi
import requests
import urllib3
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

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


PRIVATE_ADDRESS = "The URL resolves to a private, loopback or reserved address."
# IPv6 prefixes that carry an IPv4 address in their last 32 bits (NAT64, IPv4-compatible).
_EMBEDDING_V4 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("::/96"))


def validate_receiver_url(url: str, *, field: str = "url", resolve: bool = True) -> str:
    """``url`` if FleetOps may send to it: https (http only where allowed), no credentials,
    and (``resolve``) every address its host resolves to public unless private networks are
    allowed. Sends check the address they connect to instead (``receiver_session``)."""
    parts = urlsplit(url or "")
    allowed_schemes = {"https", "http"} if settings.WEBHOOK_ALLOW_HTTP else {"https"}
    if parts.scheme not in allowed_schemes or not parts.hostname:
        raise InvalidInput({field: f"Use an {' or '.join(sorted(allowed_schemes))} URL."})
    if parts.username or parts.password:
        raise InvalidInput({field: "Credentials in the URL are not accepted."})
    if resolve and not settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS:
        for address in _addresses(parts.hostname, parts.port or 443, field):
            if not is_public(address):
                raise InvalidInput({field: PRIVATE_ADDRESS})
    return url


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """A globally routed unicast address, and so is any IPv4 address it carries (IPv4-mapped,
    6to4, Teredo, NAT64: each reaches the IPv4 address inside)."""
    if not address.is_global or address.is_multicast:
        return False
    if isinstance(address, ipaddress.IPv6Address):
        inner = [address.ipv4_mapped, address.sixtofour, *(address.teredo or ())]
        inner += [
            ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
            for network in _EMBEDDING_V4
            if address in network
        ]
        return all(is_public(v4) for v4 in inner if v4 is not None)
    return True


def _addresses(host: str, port: int, field: str) -> list:
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        raise InvalidInput({field: f"The host {host!r} cannot be resolved."}) from None
    return [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]


# --- sending --------------------------------------------------------------------------------


class _CheckedConnectionMixin:
    """Resolves the host once, refuses it if any address is not public (unless private
    networks are allowed), and connects to the checked addresses themselves, so the address
    checked is the address used. TLS still verifies the certificate against the host name."""

    def _new_conn(self):
        if settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS:
            return super()._new_conn()
        host = self._dns_host
        addresses = _addresses(host, self.port, "url")
        if not addresses or not all(is_public(address) for address in addresses):
            raise InvalidInput({"url": PRIVATE_ADDRESS})
        error = None
        for address in dict.fromkeys(str(a) for a in addresses):
            self._dns_host = address
            try:
                return super()._new_conn()
            except (NewConnectionError, ConnectTimeoutError) as exc:  # the next may answer
                error = exc
            finally:
                self._dns_host = host
        raise error


class _CheckedHTTPConnection(_CheckedConnectionMixin, HTTPConnection):
    pass


class _CheckedHTTPSConnection(_CheckedConnectionMixin, HTTPSConnection):
    pass


class _CheckedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _CheckedHTTPConnection


class _CheckedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _CheckedHTTPSConnection


CHECKED_POOLS = {"http": _CheckedHTTPPool, "https": _CheckedHTTPSPool}


class _CheckedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = CHECKED_POOLS


def receiver_session() -> requests.Session:
    """A session for posting to receivers (Slack, the occasional notification): every new
    connection checked as above, no proxy from the environment (the check is of the
    receiver, not of a proxy). Post with ``allow_redirects=False``: a redirect is the
    receiver's answer, not followed."""
    session = requests.Session()
    session.trust_env = False
    adapter = _CheckedAdapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def receiver_pool() -> urllib3.PoolManager:
    """The same checked connections without requests on top, for webhook deliveries (hundreds
    a second, where requests' own work per call was a third of the sender's CPU). Many
    receivers, each drained over a kept-alive connection or a few at once; certificates
    verified against the same CA bundle as requests; no proxy. Send with ``retries=False``
    and ``redirect=False``."""
    pool = urllib3.PoolManager(num_pools=64, maxsize=16, ca_certs=certifi.where())
    pool.pool_classes_by_scheme = CHECKED_POOLS
    return pool
