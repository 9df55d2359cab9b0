"""The client's address, the one rule every caller uses (rate limits, login lockout, audit).

``X-Forwarded-For`` is written by whoever sends the request, so only the entries appended by
our own reverse proxies can be believed. With ``NUM_PROXIES`` = 0 (the default) the header is
ignored and the socket address (``REMOTE_ADDR``) is the client; with N proxies in front of the
app the N-th entry from the right is the address the outermost proxy saw.
"""

import ipaddress

from django.conf import settings


def client_address(request) -> str | None:
    """The client's IP address for a Django or DRF request (None without a request).

    An entry that is not an IP address (a proxy misconfiguration or a forged header that a
    proxy passed through) never wins: the socket address is used instead.
    """
    if request is None:
        return None
    meta = request.META
    remote = meta.get("REMOTE_ADDR") or None
    proxies = settings.NUM_PROXIES
    forwarded = meta.get("HTTP_X_FORWARDED_FOR", "")
    if proxies <= 0 or not forwarded:
        return remote
    entries = [entry.strip() for entry in forwarded.split(",") if entry.strip()]
    if not entries:
        return remote
    # Fewer entries than proxies: the request skipped the outer ones, and the left-most entry
    # was still written by a proxy of ours.
    candidate = entries[-min(proxies, len(entries))]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
