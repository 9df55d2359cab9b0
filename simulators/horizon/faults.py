"""Fault injection and the request log of the Horizon simulator.

Faults are the one ``HorizonFault`` row (admin, ``simulate_horizon faults``,
``testing.set_faults``). ``error_rate`` is applied deterministically: with a rate r, request n
fails when ceil(n * r) > ceil((n - 1) * r), so the first request fails and exactly r of them do.
"""

import math
import time
from collections.abc import Callable

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

from simulators.horizon.http import status_problem
from simulators.horizon.models import HorizonFault, HorizonRequestLog


def current_fault(path: str) -> HorizonFault | None:
    fault = HorizonFault.objects.first()
    if fault is None:
        return None
    patterns = [part.strip() for part in fault.paths.split(",") if part.strip()]
    if patterns and not any(pattern in path for pattern in patterns):
        return None
    return fault


def run_with_faults(
    request: HttpRequest, call: Callable[[], HttpResponse]
) -> tuple[HttpResponse, str]:
    """Answer ``request`` through ``call`` with the faults that apply; returns the fault label."""
    fault = current_fault(request.path)
    if fault is None:
        return call(), ""
    if fault.latency_ms:
        time.sleep(fault.latency_ms / 1000)
    if fault.apply_then and request.method == "POST":
        response = call()  # applied: the ledger has it, whatever the client hears
        if fault.apply_then == "hang":
            time.sleep(fault.hang_seconds)
            return response, "applied-hang"
        return status_problem(fault.error_status), "applied-error"
    if fault.hang_seconds:
        time.sleep(fault.hang_seconds)
    if _share(fault, fault.error_rate):
        return status_problem(fault.error_status), "error"
    return call(), "hang" if fault.hang_seconds else ""


def log_request(request: HttpRequest, response: HttpResponse, fault: str) -> None:
    HorizonRequestLog.objects.create(
        method=request.method,
        path=request.get_full_path()[:512],
        status=response.status_code,
        fault=fault,
    )


def _share(fault: HorizonFault, rate: float) -> bool:
    if rate <= 0:
        return False
    key = f"horizon-sim:share:{fault.pk}:{fault.updated_at.timestamp()}"
    cache.add(key, 0, timeout=None)
    count = cache.incr(key)
    return math.ceil(count * rate - 1e-9) > math.ceil((count - 1) * rate - 1e-9)
