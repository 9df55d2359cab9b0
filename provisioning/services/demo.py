"""Demo subscribers for ``seed_demo`` (through PMNL, like any others)."""

from core.context import Context
from core.errors import Conflict
from provisioning.models import Subscriber
from provisioning.services.subscribers import create_subscriber

# The subscribers seed 003's read examples ask for (``GET /api/v1/subscribers/31658011998``,
# ``.../3197058010199``, the audit example's ICCID), so they answer as written on a demo;
# never its create example's 89312400000001234567 / 31612345678, which would then be a 409.
SEED_EXAMPLES = (("89312400000001715969", "31658011998"), ("89312400000001715970", "3197058010199"))


def _identifiers(n: int) -> tuple[str, str]:
    if n < len(SEED_EXAMPLES):
        return SEED_EXAMPLES[n]
    serial = 10_000 + n
    return f"89312400000{serial:09d}", f"3165{serial:07d}"


def seed_demo_subscribers(*, organization, count: int, cust_id: str, context: Context) -> int:
    """Create ``count`` demo subscribers through PMNL (a few queued), the first ones those of
    seed 003's examples; answers how many were created. Idempotent enough for a demo:
    existing ones are skipped."""
    created = 0
    for n in range(count):
        iccid, msisdn = _identifiers(n)
        body = {
            "iccid": iccid,
            "msisdn": msisdn,
            "cust_id": cust_id,
            "admin_info": f"Demo subscriber {n + 1}",
            "aor": {
                "domain_id": 101,
                "auth_username": f"+{msisdn}",
                "auth_password": "demo-pass1",
            },
            "apn": {"name": "data.demo.net", "speed_up": "max", "speed_down": "max"}
            if n % 2 == 0
            else None,
            "subscriber_state": n % 5 != 4,
            "network_access_list": {
                "zoneNL": True,
                "zone1": n % 3 == 0,
                "zone2": False,
                "zone3": False,
                "zone4": False,
                "zone5": False,
            },
            "contract": {
                "service_package": 1234567,
                "service_profile": 7 if n % 2 == 0 else 6,
                "duration": 12,
            },
            "credit": {"max_credit": 50.0},
        }
        if Subscriber.objects.filter(iccid=body["iccid"]).exists():
            continue
        try:
            create_subscriber(
                organization=organization, body=body, queue_request=n % 4 == 3, context=context
            )
        except Conflict:
            continue
        created += 1
    return created
