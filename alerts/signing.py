"""How a webhook delivery is signed, and how a receiver verifies it.

Every delivery carries:

- ``X-FleetOps-Delivery``: the delivery id, the same on every retry (drop repeats by it);
- ``X-FleetOps-Event``: the event name;
- ``X-FleetOps-Timestamp``: Unix seconds when this attempt was signed;
- ``X-FleetOps-Signature``: ``v1=`` + hex HMAC-SHA256 of ``"{timestamp}.{raw body}"`` keyed
  with the webhook's secret.

A receiver recomputes the HMAC over the raw body it received, compares in constant time, and
refuses timestamps more than five minutes old (a replayed request): ``verify`` does exactly
that and is what our own tests and benchmark use.
"""

import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-FleetOps-Signature"
TIMESTAMP_HEADER = "X-FleetOps-Timestamp"
DELIVERY_HEADER = "X-FleetOps-Delivery"
EVENT_HEADER = "X-FleetOps-Event"
TOLERANCE_SECONDS = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"v1={mac.hexdigest()}"


def signed_headers(*, secret: str, body: bytes, delivery_id: str, event: str) -> dict:
    timestamp = int(time.time())
    return {
        "Content-Type": "application/json",
        "User-Agent": "FleetOps-Webhooks/1",
        DELIVERY_HEADER: delivery_id,
        EVENT_HEADER: event,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature(secret, timestamp, body),
    }


def verify(
    secret: str, *, body: bytes, timestamp: str, signature_header: str, now: float | None = None
) -> bool:
    """Whether a received delivery is authentic and fresh."""
    try:
        sent = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - sent) > TOLERANCE_SECONDS:
        return False
    return hmac.compare_digest(signature(secret, sent, body), signature_header or "")
