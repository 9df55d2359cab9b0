"""Fault injection, the /sims and /orders rate limits and the request log.

Faults are rows of ``OnenceFault`` (admin, ``simulate_1nce faults``, ``testing.set_faults``).
Shares are applied deterministically: with a rate r, request n of a fault fails when
ceil(n * r) > ceil((n - 1) * r), so the first request fails and exactly r of them do.
"""

import math
import time
from collections.abc import Callable
from datetime import timedelta

from django.core.cache import cache
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from simulators.onence.http import ApiError, error_response
from simulators.onence.models import OnenceAccount, OnenceFault, OnenceRequestLog

# 1NCE's published limit on /sims: about 10 requests per second per customer.
SIMS_RATE_LIMIT_PER_SECOND = 10
# 1NCE's published limit on orders, products and support: 100 requests per 5 minutes.
ORDERS_RATE_LIMIT = 100
ORDERS_RATE_WINDOW_SECONDS = 300
_ORDERS_PATHS = ("/v1/orders", "/v1/products")
_WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def fault_for(account: OnenceAccount | None, path: str) -> OnenceFault | None:
    """The fault row that applies: the account's own, else the global one, if its paths match."""
    rows = list(OnenceFault.objects.filter(Q(account=account) | Q(account__isnull=True)))
    rows.sort(key=lambda row: row.account_id is None)
    if not rows:
        return None
    fault = rows[0]
    patterns = [part.strip() for part in fault.paths.split(",") if part.strip()]
    if patterns and not any(pattern in path for pattern in patterns):
        return None
    return fault


def run_with_faults(
    request: HttpRequest, account: OnenceAccount | None, call: Callable[[], HttpResponse]
) -> tuple[HttpResponse, str]:
    """Answer ``request`` through ``call`` with the faults that apply; returns the fault label."""
    fault = fault_for(account, request.path)
    if fault is None:
        _check_rate_limit(request, account)
        return call(), ""
    if fault.latency_ms:
        time.sleep(fault.latency_ms / 1000)
    if fault.ambiguous_writes and request.method in _WRITE_METHODS:
        _check_rate_limit(request, account, fault)
        response = call()
        if response.status_code >= 400:
            return response, ""
        if fault.hang_seconds and _share(fault, "hang", fault.hang_rate):
            time.sleep(fault.hang_seconds)
            return response, "ambiguous-hang"
        return _error(request, fault.error_status, "Internal server error."), "ambiguous-error"
    label = ""
    if fault.hang_seconds and _share(fault, "hang", fault.hang_rate):
        # Handled after the hang: a write is applied late, after the client gave up.
        time.sleep(fault.hang_seconds)
        label = "hang"
    if _share(fault, "throttle", fault.throttle_rate):
        headers = {"Retry-After": str(fault.retry_after)}
        return _error(request, 429, "Too Many Requests", headers), "throttle"
    if _share(fault, "error", fault.error_rate):
        return _error(request, fault.error_status, "Internal server error."), "error"
    _check_rate_limit(request, account, fault)
    return call(), label


def token_ttl(account: OnenceAccount | None, default: int) -> int:
    fault = fault_for(account, "/oauth/token")
    if fault is not None and fault.token_ttl_seconds is not None:
        return fault.token_ttl_seconds
    return default


def log_request(
    request: HttpRequest, response: HttpResponse, account, fault: str, started: float
) -> None:
    OnenceRequestLog.objects.create(
        method=request.method,
        path=request.get_full_path()[:512],
        status=response.status_code,
        client_id=account.client_id if account else "",
        fault=fault,
        duration_ms=round((time.perf_counter() - started) * 1000, 2),
    )


def _check_rate_limit(request, account, fault: OnenceFault | None = None) -> None:
    if account is None or (fault is not None and not fault.enforce_rate_limit):
        return
    if any(part in request.path for part in _ORDERS_PATHS):
        _check_orders_limit(account)
        return
    if "/sims" not in request.path:
        return
    second = int(time.time())
    key = f"onence-sim:rate:{account.pk}:{second}"
    cache.add(key, 0, timeout=5)
    if cache.incr(key) > SIMS_RATE_LIMIT_PER_SECOND:
        raise ApiError(429, "Too Many Requests", {"Retry-After": "1"})


def _check_orders_limit(account: OnenceAccount) -> None:
    """A sliding 5-minute window over the request log: the answered (non-429) order and
    product calls of the account; 429 with ``Retry-After`` until the oldest leaves it."""
    since = timezone.now() - timedelta(seconds=ORDERS_RATE_WINDOW_SECONDS)
    recent = OnenceRequestLog.objects.filter(
        Q(path__contains=_ORDERS_PATHS[0]) | Q(path__contains=_ORDERS_PATHS[1]),
        client_id=account.client_id,
        created_at__gte=since,
    ).exclude(status=429)
    if recent.count() < ORDERS_RATE_LIMIT:
        return
    oldest = recent.order_by("created_at").values_list("created_at", flat=True).first()
    wait = (oldest - since).total_seconds() if oldest else ORDERS_RATE_WINDOW_SECONDS
    raise ApiError(429, "Too Many Requests", {"Retry-After": str(max(1, math.ceil(wait)))})


def _share(fault: OnenceFault, kind: str, rate: float) -> bool:
    if rate <= 0:
        return False
    key = f"onence-sim:share:{fault.pk}:{kind}:{fault.updated_at.timestamp()}"
    cache.add(key, 0, timeout=None)
    count = cache.incr(key)
    return math.ceil(count * rate - 1e-9) > math.ceil((count - 1) * rate - 1e-9)


def _error(request, status: int, message: str, headers: dict | None = None) -> HttpResponse:
    return error_response(request, ApiError(status, message, headers))
