"""SMS delivery, computed lazily from timestamps when messages are read.

An MT message waits 2-10 seconds for its first delivery attempt. It is delivered then if the
SIM is reachable; otherwise the network retries every ``RETRY_SECONDS`` until the SIM is
reachable (DELIVERED) or the message's expiry date passes (EXPIRED). A SIM disabled before
the attempt makes it FAILED.
"""

from datetime import datetime, timedelta

from simulators.onence import connectivity, formats
from simulators.onence.identifiers import mix64
from simulators.onence.models import OnenceSimStatus, OnenceSms, OnenceSmsStatus, OnenceSmsType

RETRY_SECONDS = 300
DEFAULT_VALIDITY = timedelta(days=1)
_SOURCE_TYPES = {145: "International", 161: "National", 208: "Alphanumeric"}
_PROGRESS_FIELDS = [
    "status",
    "delivery_date",
    "final_date",
    "last_delivery_attempt",
    "retry_count",
    "gsm_map_error",
]


def first_attempt(submitted: datetime, salt: int) -> datetime:
    return submitted + timedelta(seconds=2 + mix64(salt) % 9)


def progress(messages: list[OnenceSms], at: datetime) -> None:
    """Move pending MT messages on to where time has taken them, and save the changes."""
    changed = [sms for sms in messages if _advance(sms, at)]
    if changed:
        OnenceSms.objects.bulk_update(changed, _PROGRESS_FIELDS)


def _advance(sms: OnenceSms, at: datetime) -> bool:
    if sms.status != OnenceSmsStatus.PENDING or at < sms.deliver_after:
        return False
    sim = sms.sim
    if sim.status == OnenceSimStatus.DISABLED:
        _finish(sms, OnenceSmsStatus.FAILED, sms.deliver_after, "Call barred")
        return True
    attempt, retries = sms.deliver_after, 0
    horizon = min(at, sms.expiry_date)
    while attempt <= horizon:
        if connectivity.reachable(sim, attempt):
            _finish(sms, OnenceSmsStatus.DELIVERED, attempt)
            sms.delivery_date = attempt
            sms.retry_count = retries
            return True
        attempt += timedelta(seconds=RETRY_SECONDS)
        retries += 1
    if at >= sms.expiry_date:
        _finish(sms, OnenceSmsStatus.EXPIRED, sms.expiry_date, "Absent subscriber")
        sms.retry_count = retries
        return True
    changed = sms.retry_count != retries
    sms.retry_count = retries
    sms.last_delivery_attempt = attempt - timedelta(seconds=RETRY_SECONDS)
    return changed


def _finish(sms: OnenceSms, status: int, at: datetime, error: str = "") -> None:
    sms.status = status
    sms.final_date = at
    sms.last_delivery_attempt = at
    sms.gsm_map_error = error


def payload(sms: OnenceSms) -> dict:
    """One message as ``SimsSms`` (v2)."""
    sim = sms.sim
    body = {
        "id": sms.pk,
        "submit_date": formats.iso(sms.submit_date),
        "expiry_date": formats.iso(sms.expiry_date),
        "retry_date": None,
        "retry_count": sms.retry_count,
        "gsm_map_error": sms.gsm_map_error or None,
        "dcs": sms.dcs,
        "pid": 0,
        "source_address": sms.source_address,
        "endpoint": {"id": sim.pk, "name": sim.label or sim.iccid},
        "sim_id": sim.pk,
        "iccid": sim.iccid,
        "msisdn": sim.msisdn,
        "imsi": sim.imsi,
        "msc": 491770940000,
        "udh": sms.udh,
        "payload": sms.payload,
        "status": {"description": OnenceSmsStatus(sms.status).label, "id": sms.status},
        "sms_type": {"description": OnenceSmsType(sms.sms_type).label, "id": sms.sms_type},
        "source_address_type": {
            "description": _SOURCE_TYPES.get(sms.source_address_type, "International"),
            "id": sms.source_address_type,
        },
    }
    if sms.status == OnenceSmsStatus.PENDING and sms.last_delivery_attempt:
        body["retry_date"] = formats.iso(
            sms.last_delivery_attempt + timedelta(seconds=RETRY_SECONDS)
        )
    for field in ("delivery_date", "final_date", "last_delivery_attempt"):
        if getattr(sms, field):
            body[field] = formats.iso(getattr(sms, field))
    return body
