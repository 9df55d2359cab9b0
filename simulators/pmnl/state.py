"""What the PMNL simulator does with subscribers and user requests (no HTTP here)."""

import math
import re
import secrets
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from simulators.pmnl.models import (
    PmnlSimAccount,
    PmnlSimFault,
    PmnlSimRequest,
    PmnlSimRequestStatus,
    PmnlSimSubscriber,
    PmnlSimToken,
)

IDENTIFIER = re.compile(r"^(8931\d{16}|316\d{8}|31970\d{8})$", re.ASCII)
REQUIRED = (
    "iccid",
    "msisdn",
    "cust_id",
    "admin_info",
    "aor",
    "subscriber_state",
    "network_access_list",
    "contract",
    "credit",
)
ASPECT_FIELDS = {
    "aor": "aor",
    "state": "subscriber_state",
    "apn": "apn",
    "network-access-list": "network_access_list",
    "credit": "credit",
    "block-data-usage": "block_data_usage",
}
CACHE_SECONDS = 30


class SimError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def now() -> datetime:
    return timezone.now()


def stamp(moment: datetime | None = None) -> str:
    return (moment or now()).isoformat(timespec="seconds")


# --- accounts and tokens ------------------------------------------------------------------


def register(*, client_id: str, client_secret: str, api_key: str) -> PmnlSimAccount:
    account, _ = PmnlSimAccount.objects.update_or_create(
        client_id=client_id, defaults={"client_secret": client_secret, "api_key": api_key}
    )
    return account


def account_for_credentials(client_id: str, secret: str) -> PmnlSimAccount | None:
    account = PmnlSimAccount.objects.filter(client_id=client_id).first()
    if account is None and client_id and client_id == settings.PMNL_CLIENT_ID:
        # The settings' demo account exists as soon as it is used.
        account = register(
            client_id=client_id,
            client_secret=settings.PMNL_CLIENT_SECRET,
            api_key=settings.PMNL_API_KEY,
        )
    if account is None or not secrets.compare_digest(account.client_secret, secret):
        return None
    return account


def issue_token(account: PmnlSimAccount) -> tuple[str, int]:
    ttl = fault_of(account).token_ttl_seconds if fault_of(account) else 3600
    token = secrets.token_urlsafe(32)
    PmnlSimToken.objects.create(
        account=account, token=token, expires_at=now() + timedelta(seconds=ttl)
    )
    return token, ttl


def account_for_bearer(header: str) -> PmnlSimAccount | None:
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    row = (
        PmnlSimToken.objects.select_related("account")
        .filter(token=token.strip(), expires_at__gt=now())
        .first()
    )
    return row.account if row else None


def fault_of(account: PmnlSimAccount | None) -> PmnlSimFault | None:
    own = PmnlSimFault.objects.filter(account=account).first() if account else None
    return own or PmnlSimFault.objects.filter(account__isnull=True).first()


# --- subscribers --------------------------------------------------------------------------


def _imsi() -> str:
    return "20412" + f"{secrets.randbelow(10**10):010d}"


def check_create(payload) -> None:
    if not isinstance(payload, dict):
        raise SimError(422, "Body must be a JSON object.")
    missing = [name for name in REQUIRED if name not in payload]
    if missing:
        raise SimError(422, f"Missing fields: {', '.join(missing)}.")
    for name in ("iccid", "msisdn"):
        if not isinstance(payload[name], str) or not IDENTIFIER.fullmatch(payload[name]):
            raise SimError(422, f"Invalid {name}.")


def _exists(account, payload) -> bool:
    return (
        PmnlSimSubscriber.objects.filter(account=account, iccid=payload["iccid"]).exists()
        or PmnlSimSubscriber.objects.filter(account=account, msisdn=payload["msisdn"]).exists()
    )


def create_now(account: PmnlSimAccount, payload: dict) -> PmnlSimSubscriber:
    """Create the subscriber (409 when its ICCID or MSISDN exists)."""
    if _exists(account, payload):
        raise SimError(409, "Subscriber with this ICCID already exists")
    data = {key: payload.get(key) for key in (*REQUIRED, "apn") if key not in ("iccid", "msisdn")}
    contract = dict(payload["contract"])
    contract.setdefault("contract_start", stamp())
    data["contract"] = contract
    data["block_data_usage"] = {"enabled": False, "block_until": None, "scope": None}
    try:
        with transaction.atomic():
            return PmnlSimSubscriber.objects.create(
                account=account,
                iccid=payload["iccid"],
                msisdn=payload["msisdn"],
                imsi=_imsi(),
                data=data,
            )
    except IntegrityError:
        raise SimError(409, "Subscriber with this ICCID already exists") from None


def find(account: PmnlSimAccount, identifier: str) -> PmnlSimSubscriber:
    if not IDENTIFIER.fullmatch(identifier):
        raise SimError(422, "Invalid identifier.")
    field = "iccid" if identifier.startswith("8931") else "msisdn"
    row = PmnlSimSubscriber.objects.filter(account=account, **{field: identifier}).first()
    if row is None:
        raise SimError(404, "Subscriber not found")
    return row


def read(row: PmnlSimSubscriber) -> dict:
    moment = now()
    cached = bool(
        row.last_read_at
        and row.last_read_at >= row.updated_at
        and (moment - row.last_read_at).total_seconds() < CACHE_SECONDS
    )
    if not cached:
        PmnlSimSubscriber.objects.filter(pk=row.pk).update(last_read_at=moment)
    body = {"iccid": row.iccid, "imsi": row.imsi, "msisdn": row.msisdn, **row.data}
    return {
        "data": body,
        "status": "completed",
        "reason": "OK",
        "request_id": str(uuid.uuid4()),
        "cached": cached,
    }


def update(row: PmnlSimSubscriber, aspect: str, payload) -> None:
    if not isinstance(payload, dict):
        raise SimError(422, "Body must be a JSON object.")
    field = ASPECT_FIELDS[aspect]
    if aspect == "state":
        if not isinstance(payload.get("subscriber_state"), bool):
            raise SimError(422, "subscriber_state must be a boolean.")
        value = payload["subscriber_state"]
    else:
        value = payload
    row.data = {**row.data, field: value}
    row.last_read_at = None
    row.save(update_fields=["data", "last_read_at", "updated_at"])


# --- user requests ------------------------------------------------------------------------


def completed_request(account, operation: str) -> dict:
    moment = now()
    row = PmnlSimRequest.objects.create(
        account=account,
        operation=operation,
        status=PmnlSimRequestStatus.COMPLETED,
        processing_at=moment,
        done_at=moment,
    )
    return render_request(row)


def queue(account: PmnlSimAccount, operation: str, payload: dict) -> dict:
    fault = fault_of(account)
    queue_seconds = fault.queue_seconds if fault else 0.5
    process_seconds = fault.process_seconds if fault else 1.0
    fail = _share(account, fault.fail_rate) if fault else False
    moment = now()
    row = PmnlSimRequest.objects.create(
        account=account,
        operation=operation,
        payload=payload,
        processing_at=moment + timedelta(seconds=queue_seconds),
        done_at=moment + timedelta(seconds=queue_seconds + process_seconds),
        fail=fail,
    )
    return render_request(row)


def advance(row: PmnlSimRequest) -> PmnlSimRequest:
    """Move the request along the clock; apply it once when its time has come."""
    if row.status in (PmnlSimRequestStatus.COMPLETED, PmnlSimRequestStatus.FAILED):
        return row
    moment = now()
    if moment >= row.done_at:
        with transaction.atomic():
            row = PmnlSimRequest.objects.select_for_update().get(pk=row.pk)
            if row.status in (PmnlSimRequestStatus.COMPLETED, PmnlSimRequestStatus.FAILED):
                return row
            if row.fail:
                row.status, row.reason = PmnlSimRequestStatus.FAILED, "Provisioning rejected"
            else:
                try:
                    create_now(row.account, row.payload)
                    row.status, row.reason = PmnlSimRequestStatus.COMPLETED, "OK"
                except SimError as error:
                    row.status, row.reason = PmnlSimRequestStatus.FAILED, error.message
            row.payload = {}  # the password is not kept once applied
            row.save(update_fields=["status", "reason", "payload", "updated_at"])
    elif moment >= row.processing_at and row.status == PmnlSimRequestStatus.QUEUED:
        row.status = PmnlSimRequestStatus.PROCESSING
        row.save(update_fields=["status", "updated_at"])
    return row


def render_request(row: PmnlSimRequest) -> dict:
    info = {
        PmnlSimRequestStatus.QUEUED: "Request has been queued and will be processed soon.",
        PmnlSimRequestStatus.PROCESSING: "Request is being processed.",
        PmnlSimRequestStatus.COMPLETED: "Request completed.",
        PmnlSimRequestStatus.FAILED: row.reason or "Request failed.",
    }[row.status]
    progress = {
        PmnlSimRequestStatus.QUEUED: None,
        PmnlSimRequestStatus.PROCESSING: "50%",
        PmnlSimRequestStatus.COMPLETED: "100%",
        PmnlSimRequestStatus.FAILED: "100%",
    }[row.status]
    return {
        "request_id": str(row.id),
        "progress": progress,
        "status": row.status,
        "last_updated": stamp(row.updated_at),
        "request_info": info,
    }


def _share(account, rate: float) -> bool:
    """Deterministic share: request n fails when ceil(n*r) > ceil((n-1)*r)."""
    if rate <= 0:
        return False
    key = f"pmnl-sim:fail:{account.pk}"
    cache.add(key, 0, timeout=None)
    count = cache.incr(key)
    return math.ceil(count * rate - 1e-9) > math.ceil((count - 1) * rate - 1e-9)
