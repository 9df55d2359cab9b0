"""1NCE Data Streamer event records (HTTP/webhook integration), read without I/O.

1NCE posts a JSON list of event records (at most 3,000 per request) to the customer's endpoint
with the HTTP Basic credentials set in its portal, and resends what is not answered 200. A
record (``simulators/onence/contract/data-streamer-events.sample.json``) carries ``id``,
``timestamp``, ``event_type {id, description}``, ``event_severity``, ``event_source``,
``organisation``, ``alert``, ``description``, ``sim {id, iccid, msisdn}``, ``imsi``,
``endpoint`` and an event-specific ``detail``; more fields may come and are kept as received.

Connectivity transitions: a deleted PDP context or a purged location is a loss; a created PDP
context or a location update is (re)attachment. Other events (quota, SIM management) are
stored and change no state.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from django.utils.dateparse import parse_datetime

MAX_BATCH = 3000

LOST = "lost"
RESTORED = "restored"
NONE = "none"

# By 1NCE's event type id, and by its description (ids differ across 1NCE's document versions).
LOSS_TYPES = {4}
RESTORE_TYPES = {1, 2, 3}
LOSS_DESCRIPTIONS = {"delete pdp context", "purge location", "purge gprs location", "detach"}
RESTORE_DESCRIPTIONS = {
    "create pdp context",
    "update location",
    "update gprs location",
    "attach",
}


@dataclass(frozen=True, slots=True)
class StreamedEvent:
    event_id: int
    iccid: str  # 19 digits, as the mirror keeps it
    occurred_at: datetime
    event_type_id: int
    event_type: str
    transition: str
    payload: dict


def transition_of(type_id: int, description: str) -> str:
    text = description.strip().lower()
    if type_id in LOSS_TYPES or text in LOSS_DESCRIPTIONS:
        return LOST
    if type_id in RESTORE_TYPES or text in RESTORE_DESCRIPTIONS:
        return RESTORED
    return NONE


def _error(index: int, field: str, msg: str, kind: str = "value_error") -> dict:
    return {"loc": ["body", index, *field.split(".")], "msg": msg, "type": kind}


def _integer(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        return int(value)
    return None


def parse_record(index: int, record) -> tuple[StreamedEvent | None, list[dict]]:
    """One record read, or the field errors that refuse it."""
    if not isinstance(record, dict):
        return None, [_error(index, "record", "An event record is a JSON object.", "type_error")]
    errors = []
    event_id = _integer(record.get("id"))
    if event_id is None or not 0 < event_id < 2**63:
        errors.append(_error(index, "id", "A positive integer event id is required."))
    raw_time = record.get("timestamp")
    occurred_at = parse_datetime(raw_time) if isinstance(raw_time, str) else None
    if occurred_at is None or occurred_at.tzinfo is None:
        errors.append(_error(index, "timestamp", "An ISO 8601 time with its offset is required."))
    event_type = record.get("event_type")
    type_id = _integer(event_type.get("id")) if isinstance(event_type, dict) else None
    description = event_type.get("description") if isinstance(event_type, dict) else None
    if type_id is None or not isinstance(description, str):
        errors.append(_error(index, "event_type", "event_type needs an id and a description."))
    sim = record.get("sim")
    iccid = sim.get("iccid") if isinstance(sim, dict) else None
    if not (isinstance(iccid, str) and iccid.isascii() and iccid.isdigit()) or not (
        19 <= len(iccid) <= 20
    ):
        errors.append(_error(index, "sim.iccid", "sim.iccid must be 19 or 20 digits."))
    if errors:
        return None, errors
    return (
        StreamedEvent(
            event_id=event_id,
            iccid=iccid[:19],
            occurred_at=occurred_at.astimezone(UTC),
            event_type_id=type_id,
            event_type=description[:100],
            transition=transition_of(type_id, description),
            payload=record,
        ),
        [],
    )


def parse_batch(body) -> tuple[list[StreamedEvent], list[dict]]:
    """The batch's events, or every field error (a batch is taken whole or not at all)."""
    if not isinstance(body, list):
        return [], [{"loc": ["body"], "msg": "A JSON list of event records.", "type": "type_error"}]
    if len(body) > MAX_BATCH:
        message = f"At most {MAX_BATCH} records a request."
        return [], [{"loc": ["body"], "msg": message, "type": "value_error"}]
    events, errors = [], []
    for index, record in enumerate(body):
        event, record_errors = parse_record(index, record)
        if event is not None:
            events.append(event)
        errors.extend(record_errors)
    return events, errors[:100]
