"""A small Python API over the PMNL simulator for tests, demos and the bench."""

import secrets

from django.db import transaction

from simulators.pmnl import state
from simulators.pmnl.models import (
    PmnlSimAccount,
    PmnlSimFault,
    PmnlSimRequestLog,
    PmnlSimSubscriber,
)


def register_account(*, client_id: str, client_secret: str, api_key: str) -> None:
    state.register(client_id=client_id, client_secret=client_secret, api_key=api_key)


def set_faults(
    *,
    client_id: str | None = None,
    mode: str = "",
    error_status: int = 500,
    hang_seconds: float = 0.0,
    paths: str = "",
    queue_seconds: float = 0.5,
    process_seconds: float = 1.0,
    fail_rate: float = 0.0,
    token_ttl_seconds: int = 3600,
) -> None:
    """Faults and timings of one account (``client_id``) or of all (None). ``mode``: "",
    "refused", "timeout" (sleeps ``hang_seconds``), "error" (answers ``error_status``)."""
    if mode not in ("", "refused", "timeout", "error"):
        raise ValueError(f"Unknown fault mode {mode!r}.")
    account = None if client_id is None else PmnlSimAccount.objects.get(client_id=client_id)
    with transaction.atomic():
        PmnlSimFault.objects.filter(account=account).delete()
        PmnlSimFault.objects.create(
            account=account,
            mode=mode,
            error_status=error_status,
            hang_seconds=hang_seconds,
            paths=paths,
            queue_seconds=queue_seconds,
            process_seconds=process_seconds,
            fail_rate=fail_rate,
            token_ttl_seconds=token_ttl_seconds,
        )


def clear_faults() -> None:
    PmnlSimFault.objects.all().delete()


def seed_subscribers(*, client_id: str, count: int, cust_id: str = "9123456") -> list[str]:
    """Create ``count`` subscribers for the account; returns their ICCIDs."""
    account = PmnlSimAccount.objects.get(client_id=client_id)
    iccids = []
    for _ in range(count):
        serial = secrets.randbelow(10**8)
        payload = sample_payload(
            iccid=f"89312400{serial:012d}", msisdn=f"316{serial:08d}", cust_id=cust_id
        )
        try:
            state.create_now(account, payload)
        except state.SimError:
            continue
        iccids.append(payload["iccid"])
    return iccids


def sample_payload(*, iccid: str, msisdn: str, cust_id: str = "9123456") -> dict:
    """A valid create body (seed 003's complete example with these identifiers)."""
    return {
        "iccid": iccid,
        "msisdn": msisdn,
        "cust_id": cust_id,
        "admin_info": "Demo subscriber",
        "aor": {"domain_id": 101, "auth_username": f"+{msisdn}", "auth_password": "demo-pass1"},
        "apn": {"name": "data.test.net", "speed_up": 1024, "speed_down": 2048},
        "subscriber_state": True,
        "network_access_list": {
            "zoneNL": True,
            "zone1": True,
            "zone2": False,
            "zone3": False,
            "zone4": False,
            "zone5": False,
        },
        "contract": {"service_package": 1234567, "service_profile": 7, "duration": 12},
        "credit": {"max_credit": 50.0},
    }


def get_subscriber(*, client_id: str, iccid: str) -> dict | None:
    row = PmnlSimSubscriber.objects.filter(account__client_id=client_id, iccid=iccid).first()
    if row is None:
        return None
    return {"iccid": row.iccid, "msisdn": row.msisdn, "imsi": row.imsi, **row.data}


def requests_received(*, path_contains: str = "") -> list[dict]:
    rows = PmnlSimRequestLog.objects.filter(path__contains=path_contains).order_by("id")
    return [
        {"method": r.method, "path": r.path, "status": r.status, "fault": r.fault} for r in rows
    ]
