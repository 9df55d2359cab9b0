"""Bounded periodic reads of the whole fleet from 1NCE (quotas, connectivity).

1NCE answers one SIM per request at about 10 requests a second per account (the client's
shared rate limiter holds every process to it), so a large fleet cannot be read in one run.
Like the usage sync, each run reads at most ``limit`` SIMs, the least recently read first,
starts none after its time budget, and stops early when 1NCE is down; the SIMs it did not
reach wait longest and so go first next run. One run per kind at a time.
"""

import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field

import structlog
from django.conf import settings

from core.locks import HeartbeatLock
from sims.models import Sim
from upstream.exceptions import UpstreamError, UpstreamTimeout, UpstreamUnavailable

logger = structlog.get_logger(__name__)

TRANSIENT_ERRORS = (UpstreamUnavailable, UpstreamTimeout)


@dataclass
class FleetRefreshReport:
    """What one run read: ``deferred`` SIMs were left for the next run (budget spent)."""

    kind: str
    sims: int = 0
    refreshed: int = 0
    failed: int = 0
    deferred: int = 0
    skipped: bool = False
    aborted: bool = False  # 1NCE looked down: the run stopped early
    duration_seconds: float = 0.0
    failed_iccids: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {**asdict(self), "failed_iccids": self.failed_iccids[:100]}


def refresh_fleet(
    *,
    kind: str,
    sims: Iterable[Sim],
    refresh: Callable[[Sim], object],
    budget_seconds: float,
    abort_after: int | None = None,
) -> FleetRefreshReport:
    """Call ``refresh(sim)`` for each of ``sims`` (already ordered and bounded by the caller).

    An upstream error on one SIM is counted and logged and the run goes on; ``abort_after``
    transient errors in a row (default ``USAGE_SYNC_ABORT_AFTER``) end the run: 1NCE is down
    and the next run starts over with the same SIMs. Returns the run's report.
    """
    report = FleetRefreshReport(kind=kind)
    abort_after = abort_after or settings.USAGE_SYNC_ABORT_AFTER
    lock = HeartbeatLock(f"fleet-refresh:{kind}", ttl=settings.USAGE_SYNC_LOCK_TTL_SECONDS)
    if not lock.acquire():
        report.skipped = True
        logger.info("fleet_refresh_skipped", kind=kind, reason="another run is in progress")
        return report
    started = time.monotonic()
    deadline = started + budget_seconds
    consecutive = 0
    try:
        pending = list(sims)
        report.sims = len(pending)
        for position, sim in enumerate(pending):
            if time.monotonic() >= deadline or lock.lost:
                report.deferred = report.sims - position
                break
            try:
                refresh(sim)
            except UpstreamError as exc:
                report.failed += 1
                report.failed_iccids.append(sim.iccid)
                logger.info("fleet_refresh_sim_failed", kind=kind, iccid=sim.iccid, error=str(exc))
                consecutive = consecutive + 1 if isinstance(exc, TRANSIENT_ERRORS) else 0
                if consecutive >= abort_after:
                    report.aborted = True
                    report.deferred = report.sims - position - 1
                    break
            else:
                consecutive = 0
                report.refreshed += 1
    finally:
        lock.release()
        report.duration_seconds = round(time.monotonic() - started, 3)
        log = logger.warning if report.failed or report.aborted else logger.info
        log("fleet_refresh_finished", **report.as_dict())
    return report
