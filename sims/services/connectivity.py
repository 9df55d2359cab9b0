"""Live connectivity (cached, snapshotted, stale fallback) and connectivity resets."""

from datetime import timedelta

import structlog
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.utils import timezone

from accounts.audit import record_audit
from core.context import Context
from core.degraded import CACHE_ERRORS, cache_get, cache_set
from sims.events import record_event
from sims.models import ConnectivityReset, ConnectivitySnapshot, EventType, ResetStatus, Sim
from sims.selectors import connected_sims
from sims.services.clients import onence_client_for
from sims.services.refresh import FleetRefreshReport, refresh_fleet
from upstream.exceptions import UpstreamError, UpstreamNotFound

logger = structlog.get_logger(__name__)

CONNECTIVITY_CACHE_KEY = "sims:connectivity:{}"


def connectivity_details(status) -> tuple[bool, dict]:
    """Whether a SIM is attached, and the seed 001 ``connection_details`` for a live status."""
    location = status.location
    context = status.pdp_contexts[0] if status.pdp_contexts else None
    connected = bool(status.pdp_contexts) or (
        location is not None and status.status.upper() in {"ONLINE", "ATTACHED"}
    )
    details = {
        "status": status.status,
        "rat": context.rat_type if context else "",
        "country_code": location.country_iso if location else "",
        "country_name": location.country_name if location else "",
        "operator_name": location.operator_name if location else "",
        "mcc": (context.mcc if context else "") or (location.mcc if location else ""),
        "mnc": (context.mnc if context else "") or (location.mnc if location else ""),
        "apn": context.apn if context else "",
        "ip_address": context.ue_ip_address if context else "",
        "session_started_at": context.created.isoformat() if context and context.created else None,
        "location_updated_at": (
            location.last_updated.isoformat() if location and location.last_updated else None
        ),
        "services": list(status.services),
    }
    return connected, details


def prune_connectivity_snapshots(*, older_than_days: int | None = None) -> int:
    """Delete connectivity snapshots older than ``older_than_days`` (default
    ``CONNECTIVITY_RETENTION_DAYS``), except each SIM's newest: it is the answer while 1NCE is
    down and the reading the next one is compared with. Returns how many were deleted."""
    days = settings.CONNECTIVITY_RETENTION_DAYS if older_than_days is None else older_than_days
    cutoff = timezone.now() - timedelta(days=days)
    newer = ConnectivitySnapshot.objects.filter(sim=OuterRef("sim")).filter(
        Q(taken_at__gt=OuterRef("taken_at"))
        | Q(taken_at=OuterRef("taken_at"), pk__gt=OuterRef("pk"))
    )
    deleted, _ = (
        ConnectivitySnapshot.objects.filter(taken_at__lt=cutoff).filter(Exists(newer)).delete()
    )
    if deleted:
        logger.info("connectivity_snapshots_pruned", deleted=deleted, older_than_days=days)
    return deleted


def live_connectivity(*, sim) -> dict:
    """Connectivity from 1NCE (cached ``CONNECTIVITY_CACHE_SECONDS``), stored as a snapshot.

    When 1NCE cannot be reached (or Redis, which its client needs for tokens and the rate
    limit), the last snapshot is answered with ``stale: true`` and its age; with no snapshot
    at all the error propagates (503/504).
    """
    key = CONNECTIVITY_CACHE_KEY.format(sim.pk)
    cached = cache_get(key)
    if cached is not None:
        return cached
    try:
        return read_connectivity(sim=sim)
    except UpstreamNotFound:
        raise
    except (UpstreamError, *CACHE_ERRORS):
        last = ConnectivitySnapshot.objects.filter(sim=sim).first()
        if last is None:
            raise
        age = int((timezone.now() - last.taken_at).total_seconds())
        return snapshot_answer(sim, last, stale=True, age_seconds=age)


def read_connectivity(*, sim, client=None) -> dict:
    """Read the SIM's connectivity from 1NCE now: store a snapshot (an event when the SIM
    attached or detached since the last one), copy RAT, country and operator onto the SIM,
    cache the answer. Raises the upstream error, with nothing written."""
    client = client or onence_client_for(organization=sim.organization)
    status = client.get_sim_status(sim.iccid)
    connected, details = connectivity_details(status)
    with transaction.atomic():
        previous = ConnectivitySnapshot.objects.filter(sim=sim).first()
        snapshot = ConnectivitySnapshot.objects.create(
            sim=sim, connected=connected, details=details, taken_at=timezone.now()
        )
        if previous is not None and previous.connected != connected:
            record_event(
                sim=sim,
                event_type=(
                    EventType.CONNECTIVITY_RESTORED if connected else EventType.CONNECTIVITY_LOST
                ),
                details={"rat": details["rat"], "operator": details["operator_name"]},
            )
        fields = {
            "current_rat": details["rat"][:16],
            "current_country": details["country_code"][:64],
            "current_operator": details["operator_name"][:128],
        }
        Sim.objects.filter(pk=sim.pk).update(**fields)
    answer = snapshot_answer(sim, snapshot, stale=False, age_seconds=0)
    cache_set(
        CONNECTIVITY_CACHE_KEY.format(sim.pk), answer, timeout=settings.CONNECTIVITY_CACHE_SECONDS
    )
    return answer


def refresh_fleet_connectivity(*, limit: int | None = None) -> FleetRefreshReport:
    """Read the connectivity of up to ``limit`` (``CONNECTIVITY_REFRESH_MAX_SIMS``) SIMs of
    connected organizations, those read longest ago (or never) first, so every SIM's RAT,
    country and operator are filled and kept current without anyone asking the API."""
    last_read = Subquery(
        ConnectivitySnapshot.objects.filter(sim=OuterRef("pk"))
        .order_by("-taken_at")
        .values("taken_at")[:1]
    )
    sims = (
        connected_sims(Sim.objects.filter(missing_upstream_since__isnull=True))
        .select_related("organization")
        .annotate(connectivity_read_at=last_read)
        .order_by(F("connectivity_read_at").asc(nulls_first=True), "id")
    )
    return refresh_fleet(
        kind="connectivity",
        sims=sims[: limit or settings.CONNECTIVITY_REFRESH_MAX_SIMS],
        refresh=lambda sim: read_connectivity(sim=sim),
        budget_seconds=settings.FLEET_REFRESH_TIME_BUDGET_SECONDS,
    )


def snapshot_answer(sim, snapshot, *, stale: bool, age_seconds: int) -> dict:
    return {
        "iccid": sim.iccid,
        "connected": snapshot.connected,
        "connection_details": snapshot.details,
        "timestamp": snapshot.taken_at,
        "stale": stale,
        "age_seconds": age_seconds,
    }


# --- Connectivity reset --------------------------------------------------------------------


def request_reset(*, sim, context: Context):
    """Ask 1NCE to reset the SIM's connectivity; completion is detected later
    (:func:`check_reset`)."""
    onence_client_for(organization=sim.organization).reset_connectivity(sim.iccid)
    with transaction.atomic():
        reset = ConnectivityReset.objects.create(
            sim=sim,
            requested_by=context.actor,
            expected_completion=timezone.now() + timedelta(seconds=settings.RESET_EXPECTED_SECONDS),
        )
        record_event(sim=sim, event_type=EventType.CONNECTIVITY_RESET, details={"reset": reset.pk})
        record_audit(
            operation="RESET",
            resource_type="sim",
            resource_id=sim.iccid,
            organization=sim.organization,
            context=context,
            response_status=202,
        )
    return reset


def check_reset(*, reset):
    """Settle a pending reset: completed once 1NCE shows a new data session (or an attach
    event) after the request, failed when nothing shows up by the deadline."""
    if reset.status != ResetStatus.PENDING:
        return reset
    client = onence_client_for(organization=reset.sim.organization)
    try:
        status = client.get_sim_status(reset.sim.iccid)
    except UpstreamError:
        return reset  # cannot tell now; ask again later
    sessions = [c.created for c in status.pdp_contexts if c.created]
    if any(created >= reset.requested_at for created in sessions):
        with transaction.atomic():
            reset.status = ResetStatus.COMPLETED
            reset.completed_at = max(sessions)
            reset.save(update_fields=["status", "completed_at"])
            record_event(
                sim=reset.sim,
                event_type=EventType.CONNECTIVITY_RESTORED,
                description="Connectivity restored after reset.",
                details={"reset": reset.pk},
            )
    elif timezone.now() > reset.expected_completion + timedelta(
        seconds=settings.RESET_GRACE_SECONDS
    ):
        reset.status = ResetStatus.FAILED
        reset.error = "No new data session was seen after the reset."
        reset.save(update_fields=["status", "error"])
    return reset
