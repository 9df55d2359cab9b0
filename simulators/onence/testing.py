"""A small Python API over the 1NCE simulator for tests and demos.

Keyword-only and stable: the upstream client's tests import these names.
"""

from datetime import timedelta

from django.db import transaction

from simulators.onence import accounts, clock, streamer
from simulators.onence.formats import mb_number
from simulators.onence.models import OnenceFault, OnenceRequestLog, OnenceSim
from simulators.onence.seed import seed_fleet as _seed_fleet
from simulators.onence.usage import catch_up


def seed_fleet(
    *,
    sims: int,
    days: int = 30,
    client_id: str | None = None,
    seed: int = 0,
    flaky_share: float = 0.0,
) -> list[str]:
    """Create ``sims`` SIMs with ``days`` of usage for ``client_id`` (None: the settings' default
    account); returns their 19-digit ICCIDs. The account must exist (``register_account``).

    SIMs never lose connectivity on their own unless ``flaky_share`` says so, which keeps
    tests that wait for an SMS delivery deterministic.
    """
    account = accounts.account_for(client_id)
    return _seed_fleet(account=account, sims=sims, days=days, seed=seed, flaky_share=flaky_share)


def register_account(*, client_id: str, client_secret: str) -> None:
    """Create (or re-key) a simulator account for these client credentials."""
    accounts.register(client_id=client_id, client_secret=client_secret)


def set_faults(
    *,
    client_id: str | None = None,
    latency_ms: int = 0,
    error_rate: float = 0.0,
    error_status: int = 500,
    throttle_rate: float = 0.0,
    retry_after: int = 1,
    hang_seconds: float = 0.0,
    hang_rate: float = 1.0,
    token_ttl_seconds: int | None = None,
    enforce_rate_limit: bool = True,
    ambiguous_writes: bool = False,
    paths: str = "",
) -> None:
    """Set the faults of one account (``client_id``) or of all accounts (None).

    ``error_rate``, ``throttle_rate`` and ``hang_rate`` are shares of requests (the first one
    affected);
    ``paths`` limits the faults to paths containing one of its comma-separated substrings;
    ``ambiguous_writes`` applies POST/PUT/DELETE and then answers ``error_status`` (or hangs
    ``hang_seconds`` first and answers normally). Without it, ``hang_seconds`` sleeps before
    the request is handled: a write is applied late, after a client with a shorter read
    timeout gave up (as 1NCE's asynchronous writes can be); with ``error_rate`` 1.0 as well it
    is never applied. ``enforce_rate_limit`` turns on 1NCE's limits: about 10 requests per
    second on ``/sims``, 100 per 5 minutes on ``/orders`` and ``/products`` (429 with
    ``Retry-After``).
    """
    account = None if client_id is None else accounts.account_for(client_id)
    values = {
        "latency_ms": latency_ms,
        "error_rate": error_rate,
        "error_status": error_status,
        "throttle_rate": throttle_rate,
        "retry_after": retry_after,
        "hang_seconds": hang_seconds,
        "hang_rate": hang_rate,
        "token_ttl_seconds": token_ttl_seconds,
        "enforce_rate_limit": enforce_rate_limit,
        "ambiguous_writes": ambiguous_writes,
        "paths": paths,
    }
    with transaction.atomic():
        OnenceFault.objects.filter(account=account).delete()
        OnenceFault.objects.create(account=account, **values)


def clear_faults() -> None:
    """Remove every fault, global and per account."""
    OnenceFault.objects.all().delete()


def requests_received(*, path_contains: str = "", method: str | None = None) -> list[dict]:
    """The request log, oldest first: ``method, path, status, client_id, fault, timestamp``."""
    rows = OnenceRequestLog.objects.filter(path__contains=path_contains).order_by("id")
    if method:
        rows = rows.filter(method=method.upper())
    return [
        {
            "method": row.method,
            "path": row.path,
            "status": row.status,
            "client_id": row.client_id,
            "fault": row.fault,
            "timestamp": row.created_at,
        }
        for row in rows
    ]


def get_sim(iccid: str) -> dict:
    """The SIM's state as the simulator sees it now (usage accounted), for assertions."""
    sim = OnenceSim.objects.select_related("account").get(iccid=iccid)
    catch_up([sim])
    return {
        "iccid": sim.iccid,
        "iccid_with_luhn": sim.iccid_with_luhn,
        "client_id": sim.account.client_id,
        "label": sim.label,
        "status": sim.status,
        "imei_lock": sim.imei_lock,
        "auto_topup": sim.auto_topup,
        "expired": sim.expiry_date <= clock.now(),
        "data_remaining_mb": mb_number(sim.data_volume),
        "data_total_mb": mb_number(sim.data_total_volume),
        "sms_remaining": sim.sms_volume,
        "sms_total": sim.sms_total_volume,
    }


def expire_sim(iccid: str) -> None:
    """Make a SIM's lifetime end now (it then answers 422 to changes)."""
    OnenceSim.objects.filter(iccid=iccid).update(expiry_date=clock.now() - timedelta(seconds=1))


def set_connectivity(iccid: str, state: str | None) -> None:
    """Pin a SIM's connectivity (ONLINE, ATTACHED, OFFLINE) or release it (None)."""
    OnenceSim.objects.filter(iccid=iccid).update(connectivity_override=state or "")


def advance_time(*, seconds: float) -> None:
    """Move the simulator's clock forward (SMS delivery, token expiry, usage growth)."""
    clock.advance(seconds)


def configure_data_stream(
    *,
    url: str,
    username: str,
    password: str,
    client_id: str | None = None,
    batch_size: int = 500,
    from_now: bool = False,
) -> None:
    """Point the account's Data Streamer at ``url`` with these HTTP Basic credentials (with
    ``from_now``, only events after now are delivered)."""
    streamer.configure(
        account=accounts.account_for(client_id),
        url=url,
        username=username,
        password=password,
        batch_size=batch_size,
        from_now=from_now,
    )


def stream_events(*, client_id: str | None = None, until=None) -> dict:
    """Deliver the account's events up to ``until`` (the simulated now) not yet acknowledged,
    over HTTP; answers ``sent``, ``batches`` and ``last_status``."""
    stream = accounts.account_for(client_id).data_stream
    return streamer.deliver(stream, until=until)


def rewind_stream(*, client_id: str | None = None) -> None:
    """The next ``stream_events`` delivers every event again (a re-delivery)."""
    streamer.rewind(accounts.account_for(client_id).data_stream)


def script_site_loss(
    *, iccids: list[str], lose_at, spread_seconds: float = 0.0, down_seconds: float | None = None
) -> int:
    """Script an outage: the SIMs lose connectivity from ``lose_at`` over ``spread_seconds``
    and each regains it ``down_seconds`` later (see ``streamer.script_site_loss``). Answers
    how many events it wrote."""
    return len(
        streamer.script_site_loss(
            iccids=iccids,
            lose_at=lose_at,
            spread_seconds=spread_seconds,
            down_seconds=down_seconds,
        )
    )
