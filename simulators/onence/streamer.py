"""The 1NCE Data Streamer: SIM events pushed to the customer's HTTPS endpoint.

As 1NCE's HTTP/webhook integration documents it: a POST of a JSON list of event records
(at most 3,000; ours ``batch_size``) with the HTTP Basic credentials set in the portal;
records answered 200 are not sent again, anything else is retried from the same place on the
next run. The record format is ``contract/data-streamer-events.sample.json``.

``script_site_loss`` writes the events of a scripted outage (SIMs losing and regaining
connectivity at given moments) so a scenario can be streamed.
"""

from datetime import datetime, timedelta

import requests
from django.db.models import Q

from simulators.onence import clock, formats
from simulators.onence.connectivity import _operator
from simulators.onence.identifiers import serial_of
from simulators.onence.models import (
    OnenceAccount,
    OnenceDataStream,
    OnenceEvent,
    OnenceEventSeverity,
    OnenceEventSource,
    OnenceEventType,
    OnenceSim,
)

TIMEOUT = (3.05, 30.0)
MAX_BATCH = 3000


def record(event: OnenceEvent) -> dict:
    """One Data Streamer event record (JSON object format)."""
    sim = event.sim
    operator = _operator(sim)
    return {
        "id": event.pk,
        "timestamp": formats.iso(event.timestamp),
        "event_type": {"id": event.event_type, "description": event.get_event_type_display()},
        "event_severity": {
            "id": event.severity,
            "description": OnenceEventSeverity(event.severity).label,
        },
        "event_source": {"id": event.source, "description": OnenceEventSource(event.source).label},
        "organisation": {"id": sim.account_id, "name": sim.account.client_id},
        "alert": event.alert,
        "description": event.description,
        "user": event.user or None,
        "sim": {"id": sim.pk, "iccid": sim.iccid, "msisdn": sim.msisdn},
        "imsi": {"id": serial_of(sim.iccid), "imsi": sim.imsi},
        "endpoint": {
            "id": serial_of(sim.iccid),
            "imei": sim.imei,
            "name": sim.label or sim.iccid,
            "ip_address": sim.ip_address,
        },
        "detail": {
            "id": operator[0],
            "name": operator[1],
            "country": {
                "id": operator[3],
                "mcc": operator[7],
                "name": operator[4],
                "iso_code": operator[5],
                "country_code": operator[6],
            },
            "mnc": [{"id": operator[0], "mnc": operator[2]}],
        },
    }


def configure(
    *,
    account: OnenceAccount,
    url: str,
    username: str,
    password: str,
    batch_size: int = 500,
    from_now: bool = False,
) -> OnenceDataStream:
    """Point the account's Data Streamer at ``url``; with ``from_now`` only events after now
    are delivered (the fleet's history is not replayed)."""
    defaults = {
        "url": url,
        "username": username,
        "password": password,
        "batch_size": min(max(batch_size, 1), MAX_BATCH),
        "is_active": True,
    }
    if from_now:
        last = OnenceEvent.objects.filter(sim__account=account).order_by("-id").first()
        defaults |= {"cursor_timestamp": clock.now(), "cursor_id": last.pk if last else 0}
    stream, _ = OnenceDataStream.objects.update_or_create(account=account, defaults=defaults)
    return stream


def pending(stream: OnenceDataStream, until: datetime):
    events = OnenceEvent.objects.select_related("sim__account").filter(
        sim__account_id=stream.account_id, timestamp__lte=until
    )
    if stream.cursor_timestamp is not None:
        events = events.filter(
            Q(timestamp__gt=stream.cursor_timestamp)
            | Q(timestamp=stream.cursor_timestamp, id__gt=stream.cursor_id)
        )
    return events.order_by("timestamp", "id")


def deliver(stream: OnenceDataStream, *, until: datetime | None = None, session=None) -> dict:
    """Post every event up to ``until`` (the simulated now) not yet acknowledged, in batches;
    stop at the first batch not answered 200 (it is sent again next run)."""
    until = until or clock.now()
    session = session or requests.Session()
    sent = batches = 0
    while True:
        events = list(pending(stream, until)[: stream.batch_size])
        if not events:
            break
        response = session.post(
            stream.url,
            json=[record(e) for e in events],
            auth=(stream.username, stream.password),
            timeout=TIMEOUT,
        )
        stream.last_status = response.status_code
        if response.status_code != 200:
            stream.save(update_fields=["last_status", "updated_at"])
            break
        stream.cursor_timestamp, stream.cursor_id = events[-1].timestamp, events[-1].pk
        stream.save(update_fields=["cursor_timestamp", "cursor_id", "last_status", "updated_at"])
        sent += len(events)
        batches += 1
    return {"sent": sent, "batches": batches, "last_status": stream.last_status}


def deliver_all() -> dict:
    """Deliver every active stream's due events (the simulated Data Streamer's periodic run):
    per account, what it sent, or the error that stopped it (sent again next run)."""
    report = {}
    session = requests.Session()
    streams = OnenceDataStream.objects.filter(is_active=True).select_related("account")
    for stream in streams:
        try:
            report[stream.account.client_id] = deliver(stream, session=session)
        except requests.RequestException as exc:
            report[stream.account.client_id] = {"error": type(exc).__name__}
    return report


def rewind(stream: OnenceDataStream) -> None:
    """Deliver everything again from the start (as 1NCE's historic data option does)."""
    stream.cursor_timestamp, stream.cursor_id = None, 0
    stream.save(update_fields=["cursor_timestamp", "cursor_id", "updated_at"])


def _event(sim: OnenceSim, at: datetime, lost: bool) -> OnenceEvent:
    if lost:
        return OnenceEvent(
            sim=sim,
            event_type=OnenceEventType.DELETE_PDP_CONTEXT,
            timestamp=at,
            severity=OnenceEventSeverity.WARN,
            alert=True,
            description="PDP Context deleted: connectivity lost.",
        )
    return OnenceEvent(
        sim=sim,
        event_type=OnenceEventType.CREATE_PDP_CONTEXT,
        timestamp=at,
        severity=OnenceEventSeverity.INFO,
        description="New PDP Context successfully activated.",
    )


def script_site_loss(
    *,
    iccids: list[str],
    lose_at: datetime,
    spread_seconds: float = 0.0,
    down_seconds: float | None = None,
) -> list[OnenceEvent]:
    """The SIMs lose connectivity one after another from ``lose_at`` over ``spread_seconds``,
    and each regains it ``down_seconds`` after it lost it (never, when None). The events are
    written now; each SIM's status reads OFFLINE through its window (so polling agrees)."""
    sims = {s.iccid: s for s in OnenceSim.objects.filter(iccid__in=iccids)}
    step = spread_seconds / max(len(iccids) - 1, 1)
    events, windows = [], []
    for index, iccid in enumerate(iccids):
        sim = sims[iccid]
        lost = lose_at + timedelta(seconds=index * step)
        events.append(_event(sim, lost, lost=True))
        back = lost + timedelta(seconds=down_seconds) if down_seconds is not None else None
        if back is not None:
            events.append(_event(sim, back, lost=False))
        sim.offline_from, sim.offline_until = lost, back
        windows.append(sim)
    OnenceEvent.objects.bulk_create(events)
    OnenceSim.objects.bulk_update(windows, ["offline_from", "offline_until"])
    return events
