"""Data and SMS quotas: consumption, thresholds and top-up packages (in memory, unsaved).

The functions change an ``OnenceSim`` in place and return the events they caused; callers
save both, so a quota change and its event are always written together.
"""

from datetime import datetime

from simulators.onence.formats import BYTES_PER_MB
from simulators.onence.models import (
    OnenceEvent,
    OnenceEventSeverity,
    OnenceEventSource,
    OnenceEventType,
    OnenceSim,
)

INITIAL_DATA_BYTES = 500 * BYTES_PER_MB
INITIAL_SMS = 250
TOPUP_DATA_BYTES = 500 * BYTES_PER_MB
TOPUP_SMS = 250


def is_expired(sim: OnenceSim, at: datetime) -> bool:
    return sim.expiry_date <= at


def consume(sim: OnenceSim, *, data_bytes: int, sms: int, at: datetime) -> list[OnenceEvent]:
    """Take usage off the quotas and return the threshold/exhaustion events it triggered."""
    sim.data_volume -= data_bytes
    sim.sms_volume -= sms
    events = []
    for service, label in (("data", "Data"), ("sms", "SMS")):
        remaining = getattr(sim, f"{service}_volume")
        total = getattr(sim, f"{service}_total_volume")
        if (
            remaining * 100 <= total * sim.threshold_percentage
            and getattr(sim, f"{service}_threshold_reached_at") is None
        ):
            setattr(sim, f"{service}_threshold_reached_at", at)
            events.append(
                _quota_event(
                    sim,
                    OnenceEventType.QUOTA_THRESHOLD,
                    at,
                    f"{label} quota fell below {sim.threshold_percentage}%.",
                )
            )
        if remaining <= 0 and getattr(sim, f"{service}_exhausted_at") is None:
            setattr(sim, f"{service}_exhausted_at", at)
            events.append(
                _quota_event(sim, OnenceEventType.QUOTA_EXHAUSTED, at, f"{label} quota exhausted.")
            )
    return events


def add_package(
    sim: OnenceSim,
    *,
    at: datetime,
    data_bytes: int = TOPUP_DATA_BYTES,
    sms: int = TOPUP_SMS,
    user: str = "",
) -> OnenceEvent:
    """Top a SIM up: what is left plus the package becomes the new total (1NCE's rule)."""
    sim.data_total_volume = max(sim.data_volume, 0) + data_bytes
    sim.data_volume = sim.data_total_volume
    sim.data_accumulated_volume += data_bytes
    sim.data_last_added = data_bytes
    sim.sms_total_volume = max(sim.sms_volume, 0) + sms
    sim.sms_volume = sim.sms_total_volume
    sim.sms_accumulated_volume += sms
    sim.sms_last_added = sms
    sim.data_threshold_reached_at = sim.data_exhausted_at = None
    sim.sms_threshold_reached_at = sim.sms_exhausted_at = None
    description = f"Quota topped up by {data_bytes // BYTES_PER_MB} MB and {sms} SMS."
    event = _quota_event(sim, OnenceEventType.QUOTA_TOPPED_UP, at, description)
    event.source, event.user = OnenceEventSource.API, user
    return event


def quota_level(sim: OnenceSim, service: str) -> int:
    """The SIM list's quota status id: 0 more than the threshold left, 1 less, 2 none."""
    remaining = getattr(sim, f"{service}_volume")
    if remaining <= 0:
        return 2
    total = getattr(sim, f"{service}_total_volume")
    return 1 if remaining * 100 <= total * sim.threshold_percentage else 0


def _quota_event(sim: OnenceSim, event_type: int, at: datetime, description: str) -> OnenceEvent:
    alert = event_type in (OnenceEventType.QUOTA_THRESHOLD, OnenceEventType.QUOTA_EXHAUSTED)
    return OnenceEvent(
        sim=sim,
        event_type=event_type,
        timestamp=at,
        severity=OnenceEventSeverity.WARN if alert else OnenceEventSeverity.INFO,
        source=OnenceEventSource.POLICY,
        alert=alert,
        description=description,
    )
