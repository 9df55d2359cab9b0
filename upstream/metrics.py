"""Prometheus metrics shared by every upstream client.

Labels are low-cardinality names chosen by the code (``upstream``, ``operation``, ``outcome``,
``status``, ``reason``), never URLs, identifiers or credentials. They land in the default
registry, which ``/metrics`` (django-prometheus) exports.
"""

from prometheus_client import Counter, Histogram

UPSTREAM_CALLS = Counter(
    "fleetops_upstream_calls",
    "Logical upstream calls (retries included) by final outcome and HTTP status.",
    ["upstream", "operation", "outcome", "status"],
)
UPSTREAM_REQUEST_SECONDS = Histogram(
    "fleetops_upstream_request_duration_seconds",
    "Duration of single HTTP attempts to an upstream.",
    ["upstream", "operation"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
UPSTREAM_RETRIES = Counter(
    "fleetops_upstream_retries",
    "Attempts repeated after a retryable failure (connection, timeout, 429, 5xx).",
    ["upstream", "operation", "reason"],
)
UPSTREAM_ERRORS = Counter(
    "fleetops_upstream_errors",
    "Failed HTTP attempts by HTTP status (or 'connection' / 'timeout').",
    ["upstream", "operation", "status"],
)
UPSTREAM_RATE_LIMIT_WAIT = Counter(
    "fleetops_upstream_rate_limit_wait_seconds",
    "Seconds spent waiting for the client-side rate limiter.",
    ["upstream"],
)
UPSTREAM_AUTH = Counter(
    "fleetops_upstream_auth",
    "Token requests to an upstream by outcome (success, rejected, unavailable).",
    ["upstream", "outcome"],
)
