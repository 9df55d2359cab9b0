"""JSON bodies of the simulator's answers, field for field as the contract names them."""

from datetime import date, datetime

from simulators.onence import formats
from simulators.onence.models import (
    OnenceEvent,
    OnenceEventSeverity,
    OnenceEventSource,
    OnenceEventType,
    OnenceOrder,
    OnenceSim,
    OnenceUsageDay,
)
from simulators.onence.quota import is_expired, quota_level

_QUOTA_LEVELS = {0: "More than 20% available", 1: "Less than 20% available", 2: "Exhausted"}
_CURRENCY = {"id": 1, "symbol": "€", "code": "EUR"}


def sim(item: OnenceSim) -> dict:
    """``SimsSim`` (v2) / ``SIM_card`` (v1)."""
    return {
        "iccid": item.iccid,
        "iccid_with_luhn": item.iccid_with_luhn,
        "imsi": item.imsi,
        "imsi_2": item.imsi_2,
        "current_imsi": item.imsi,
        "msisdn": item.msisdn,
        "imei": item.imei,
        "imei_lock": item.imei_lock,
        "status": item.status,
        "activation_date": formats.iso_offset(item.activation_date),
        "ip_address": item.ip_address,
        "current_quota": formats.mb_number(item.data_total_volume),
        "quota_status": _quota_status(item, "data"),
        "current_quota_SMS": item.sms_total_volume,
        "quota_status_SMS": _quota_status(item, "sms"),
        "label": item.label,
    }


def _quota_status(item: OnenceSim, service: str) -> dict:
    level = quota_level(item, service)
    status = {"id": level, "description": _QUOTA_LEVELS[level]}
    reached = getattr(item, f"{service}_threshold_reached_at")
    exhausted = getattr(item, f"{service}_exhausted_at")
    # 1NCE prints these two dates as ``YYYY-MM-DD HH:MM:SS``, not ISO 8601.
    if reached:
        status["threshold_reached_date"] = formats.legacy(reached)
    if exhausted:
        status["quota_exceeded_date"] = formats.legacy(exhausted)
    return status


def quota(item: OnenceSim, service: str, at: datetime) -> dict:
    """``SimsQuota`` (v2) for ``service`` "data" (MB) or "sms" (messages)."""
    if is_expired(item, at):
        status = (2, "EXPIRED")
    elif getattr(item, f"{service}_volume") <= 0:
        status = (0, "EXHAUSTED")
    else:
        status = (1, "ACTIVE")

    def volume(value: int) -> float | int:
        return formats.mb_number(value) if service == "data" else value

    total = getattr(item, f"{service}_total_volume")
    return {
        "id": item.pk * 2 + (service == "sms"),
        "status": {"id": status[0], "description": status[1]},
        "volume": volume(getattr(item, f"{service}_volume")),
        "total_volume": volume(total),
        "accumulated_total_volume": volume(getattr(item, f"{service}_accumulated_volume")),
        "last_volume_added": volume(getattr(item, f"{service}_last_added")),
        "service": service,
        "threshold_percentage": item.threshold_percentage,
        "threshold_volume": volume(total * item.threshold_percentage // 100),
        "expiry_date": formats.iso(item.expiry_date),
        "created_at": formats.iso(item.quota_created_at),
    }


def event(item: OnenceEvent, sim_item: OnenceSim) -> dict:
    """``Event`` (v2). ``detail`` is left out: its oneOf has no discriminator to satisfy."""
    return {
        "id": item.pk,
        "event_type": {
            "id": item.event_type,
            "description": OnenceEventType(item.event_type).label,
        },
        "timestamp": formats.iso(item.timestamp),
        "alert": item.alert,
        "user": item.user or None,
        "description": item.description,
        "event_source": {"id": item.source, "description": OnenceEventSource(item.source).label},
        "event_severity": {
            "id": item.severity,
            "description": OnenceEventSeverity(item.severity).label,
        },
        "organisation": {"id": sim_item.account_id, "name": sim_item.account.client_id},
        "endpoint": {
            "id": sim_item.pk,
            "name": sim_item.label or sim_item.iccid,
            "ip_address": sim_item.ip_address,
            "imei": sim_item.imei,
        },
        "sim": {"id": sim_item.pk, "iccid": sim_item.iccid, "msisdn": sim_item.msisdn},
        "imsi": {"id": sim_item.pk, "imsi": sim_item.imsi},
    }


def usage(rows: list[OnenceUsageDay]) -> dict:
    """``DailyUsage`` (v1): one record per day, then 1NCE's ``date: "TOTAL"`` record."""
    stats = [_daily(row.date, row.data_rx, row.data_tx, row.sms_mo, row.sms_mt) for row in rows]
    totals = [sum(getattr(row, f) for row in rows) for f in ("data_rx", "data_tx", "sms_mo")]
    stats.append(_daily("TOTAL", *totals, sum(row.sms_mt for row in rows)))
    return {"stats": stats}


def _daily(day: date | str, rx: int, tx: int, mo: int, mt: int) -> dict:
    return {
        "date": day if isinstance(day, str) else formats.day(day),
        "data": {
            "cost": formats.mb_string(rx + tx),
            "currency": _CURRENCY,
            "traffic_type": {"description": "Data", "id": 5, "unit": "MB"},
            "volume": formats.mb_string(rx + tx),
            "volume_rx": formats.mb_string(rx),
            "volume_tx": formats.mb_string(tx),
        },
        "sms": {
            "cost": str(mo + mt),
            "currency": _CURRENCY,
            "traffic_type": {"description": "SMS", "id": 6, "unit": "SMS"},
            "volume": str(mo + mt),
            "volume_rx": str(mo),
            "volume_tx": str(mt),
        },
    }


def order(item: OnenceOrder, base_url: str) -> dict:
    """``Order`` (order management v1)."""
    body = {
        "order_number": item.order_number,
        "order_type": item.order_type,
        "order_date": formats.iso(item.order_date),
        "order_status": item.status,
        "invoice_number": str(20_000_000 + item.pk),
        "invoice_amount": f"{item.invoice_amount:.2f}",
        "currency": item.currency,
        "sims": [
            {"iccid": iccid, "_links": [{"rel": "self", "href": f"{base_url}/v2/sims/{iccid}"}]}
            for iccid in item.iccids
        ],
        "products": item.products,
    }
    if item.shipping_address:
        body["shipping_address"] = item.shipping_address
    return body
