"""Connectivity: deterministic from the ICCID and the time, so no process has to drive it.

Most SIMs stay attached, alternating between an open data session (ONLINE) and ATTACHED.
Flaky SIMs drop off the network for 15-60 minutes every 4-8 hours. A reset takes a SIM
offline for ``RESET_OFFLINE_SECONDS``; a scripted loss keeps it OFFLINE through its window
(``offline_from``/``offline_until``); a disabled SIM is BLOCKED. Tests can pin a state with
``connectivity_override``.
"""

from datetime import UTC, datetime, timedelta

from django.db import transaction

from simulators.onence import formats
from simulators.onence.identifiers import mix64, serial_of
from simulators.onence.models import (
    OnenceConnectivity,
    OnenceEvent,
    OnenceEventSeverity,
    OnenceEventType,
    OnenceSim,
    OnenceSimStatus,
)

RESET_OFFLINE_SECONDS = 30
SESSION_SECONDS = 600
# Connectivity events are generated for at most this far back (a long idle gap stays cheap).
EVENT_HORIZON = timedelta(days=3)

OPERATORS = [
    # (operator id, name, mnc, country id, country, iso, country code, mcc)
    (2, "Telekom Deutschland", "01", 74, "Germany", "de", "49", "262"),
    (3, "Vodafone", "02", 74, "Germany", "de", "49", "262"),
    (41, "Orange", "01", 68, "France", "fr", "33", "208"),
    (87, "EE", "30", 205, "United Kingdom", "gb", "44", "234"),
    (112, "T-Mobile USA", "260", 211, "United States", "us", "1", "310"),
]


def state(sim: OnenceSim, at: datetime) -> str:
    """The SIM's connectivity status at ``at``."""
    if sim.status == OnenceSimStatus.DISABLED:
        return OnenceConnectivity.BLOCKED
    if sim.connectivity_override:
        return sim.connectivity_override
    if (
        sim.offline_from
        and sim.offline_from <= at
        and (sim.offline_until is None or at < sim.offline_until)
    ):
        return OnenceConnectivity.OFFLINE
    if sim.reset_at and 0 <= (at - sim.reset_at).total_seconds() < RESET_OFFLINE_SECONDS:
        return OnenceConnectivity.OFFLINE
    if sim.flaky and _in_outage(sim, at.timestamp()):
        return OnenceConnectivity.OFFLINE
    session = mix64(sim.usage_seed + int(at.timestamp()) // SESSION_SECONDS)
    return OnenceConnectivity.ONLINE if session % 3 else OnenceConnectivity.ATTACHED


def reachable(sim: OnenceSim, at: datetime) -> bool:
    return state(sim, at) in (OnenceConnectivity.ONLINE, OnenceConnectivity.ATTACHED)


def status_payload(sim: OnenceSim, at: datetime) -> dict:
    """``GET /v2/sims/{iccid}/status`` (SimsConnectivityDetail)."""
    current = state(sim, at)
    services = {"ONLINE": ["GPRS", "SMS"], "ATTACHED": ["SMS"]}.get(current, [])
    payload = {
        "status": {"description": current},
        "data_traffic_limit_state": {
            "description": "REACHED" if sim.data_volume <= 0 else "NOT_REACHED"
        },
        "services": services,
        "pdp_contexts": [_pdp_context(sim, at)] if current == OnenceConnectivity.ONLINE else [],
    }
    if current != OnenceConnectivity.BLOCKED:
        payload["location"] = _location(sim, at)
    return payload


def connectivity_info(sim: OnenceSim, at: datetime, *, subscriber: bool, ussd: bool) -> dict:
    """``GET /v1/sims/{iccid}/connectivity_info`` (ConnectivityInfo, later SubscriberInfo)."""
    current = state(sim, at)
    payload = {
        "request_timestamp": formats.iso_offset(at),
        "reply_timestamp": formats.iso_offset(at + timedelta(milliseconds=142)),
    }
    if subscriber:
        info = {"success": current in ("ONLINE", "ATTACHED")}
        info["state"] = "assumed_idle" if info["success"] else "not_provided_from_vlr"
        if info["success"]:
            operator = _operator(sim)
            info["location"] = {
                "current_location_retrieved": current == OnenceConnectivity.ONLINE,
                "age_of_location": int(at.timestamp()) % SESSION_SECONDS // 60,
                "cell_global_id": {
                    "cid": 1000 + serial_of(sim.iccid) % 50000,
                    "lac": 40000 + serial_of(sim.iccid) % 1000,
                    "mcc": operator[7],
                    "mnc": operator[2],
                },
            }
        payload["subscriber_info"] = info
    if ussd:
        payload["ussd_info"] = (
            {"success": True} if current == "ONLINE" else {"success": False, "error": "Timeout"}
        )
    return payload


def materialise_events(sim: OnenceSim, at: datetime) -> None:
    """Write the connect/disconnect events of a flaky SIM's outages up to ``at``."""
    if not sim.flaky or at <= sim.events_until:
        return
    start = max(sim.events_until, at - EVENT_HORIZON)
    events = []
    for offline_from, offline_to in _outages(sim, start.timestamp(), at.timestamp()):
        for moment, kind in ((offline_from, "lost"), (offline_to, "regained")):
            if start.timestamp() < moment <= at.timestamp():
                events.append(_connectivity_event(sim, moment, kind))
    with transaction.atomic():
        claimed = OnenceSim.objects.filter(pk=sim.pk, events_until=sim.events_until).update(
            events_until=at
        )
        if claimed:
            OnenceEvent.objects.bulk_create(events)
    sim.events_until = at


def _cycle(sim: OnenceSim) -> tuple[int, int, int]:
    h = mix64(serial_of(sim.iccid) ^ 0x5EED)
    period = 4 * 3600 + h % (4 * 3600)
    length = 900 + (h >> 16) % 2700
    phase = (h >> 32) % period
    return period, length, phase


def _in_outage(sim: OnenceSim, ts: float) -> bool:
    period, length, phase = _cycle(sim)
    return (ts + phase) % period < length


def _outages(sim: OnenceSim, start: float, end: float):
    period, length, phase = _cycle(sim)
    k = int((start + phase) // period)
    while k * period - phase <= end:
        begin = k * period - phase
        yield begin, begin + length
        k += 1


def _connectivity_event(sim: OnenceSim, moment: float, kind: str) -> OnenceEvent:
    lost = kind == "lost"
    return OnenceEvent(
        sim=sim,
        event_type=OnenceEventType.DELETE_PDP_CONTEXT if lost else OnenceEventType.UPDATE_LOCATION,
        timestamp=datetime.fromtimestamp(moment, tz=UTC),
        severity=OnenceEventSeverity.WARN if lost else OnenceEventSeverity.INFO,
        alert=lost,
        description="Connectivity lost: PDP Context deleted." if lost else "Location updated.",
    )


def _operator(sim: OnenceSim) -> tuple:
    return OPERATORS[mix64(serial_of(sim.iccid)) % len(OPERATORS)]


def _location(sim: OnenceSim, at: datetime) -> dict:
    op_id, name, mnc, country_id, country, iso_code, country_code, mcc = _operator(sim)
    updated = at - timedelta(seconds=int(at.timestamp()) % SESSION_SECONDS)
    return {
        "iccid": sim.iccid,
        "imsi": sim.imsi,
        "last_updated": formats.legacy(updated),
        "sgsn_number": f"{country_code}1770940000",
        "vlr_number": f"{country_code}1710000000",
        "operator_id": str(op_id),
        "msc": f"{country_code}1770940000",
        "sgsn_ip_address": f"12.23.{op_id}.88",
        "operator": {
            "id": op_id,
            "name": name,
            "mnc": mnc,
            "country": {"id": country_id, "name": country, "iso_code": iso_code},
        },
        "country": {
            "country_id": str(country_id),
            "name": country,
            "country_code": country_code,
            "mcc": mcc,
            "iso_code": iso_code,
        },
    }


def _pdp_context(sim: OnenceSim, at: datetime) -> dict:
    operator = _operator(sim)
    serial = serial_of(sim.iccid)
    created = at - timedelta(seconds=int(at.timestamp()) % SESSION_SECONDS)
    teid = str(100000 + (mix64(serial + int(created.timestamp())) % 900000))
    return {
        "pdp_context_id": str(90000 + serial),
        "endpoint_id": str(serial),
        "tariff_id": "34",
        "ratezone_id": "70",
        "organisation_id": str(sim.account_id),
        "imsi_id": str(serial),
        "imsi": sim.imsi,
        "sim_id": str(sim.pk),
        "tx_teid_data_plane": teid,
        "tx_teid_control_plane": teid,
        "rx_teid": teid,
        "rx_teid_data_plane": teid,
        "rx_teid_control_plane": teid,
        "gtp_version": "2",
        "nsapi": "5",
        "sgsn_control_plane_ip_address": f"12.23.{operator[0]}.89",
        "sgsn_data_plane_ip_address": f"12.23.{operator[0]}.89",
        "ggsn_control_plane_ip_address": "52.28.110.10",
        "ggsn_data_plane_ip_address": "52.28.110.11",
        "created": formats.iso(created),
        "mcc": operator[7],
        "mnc": operator[2],
        "operator_id": str(operator[0]),
        "lac": str(40000 + serial % 1000),
        "ci": str(1000 + serial % 50000),
        "sac": "7",
        "rac": "8",
        "gtp_v1_uli": {
            "lac": str(40000 + serial % 1000),
            "ci": str(1000 + serial % 50000),
            "sac": "7",
            "rac": "8",
        },
        "ue_ip_address": sim.ip_address,
        "imeisv": sim.imei[:14] + "01",
        "rat_type": {"rat_type_id": "6", "description": "LTE-M"},
        "region": "eu-central-1",
        "apn": "iot.1nce.net",
    }
