"""The cold path: every read family cached and uncached, against the framework floor.

    .venv/bin/python bench/cold_path.py [--sims 10000] [--seconds 8] [--concurrency 20]
                                        [--workers 2] [--rounds 2] [--only NAMES] [--keep]

Creates a throwaway PostgreSQL database (``BENCH_DATABASE``, default fleetops_bench_cold_path;
Redis at ``BENCH_REDIS_URL``, emptied first: two runs on one machine stay apart), fills it
(``--sims`` SIMs in one organization plus 1,000 in a second one; SMS, subscribers, outages,
payments and alerts; 20 SIMs synced from the 1NCE simulator for usage and quotas), serves
FleetOps with gunicorn started from ``config/gunicorn.py`` (its worker class, threads and
keep-alive; ``--workers``, one per core) with authentication and rate limiting on (limits
raised so nothing is refused), and drives each endpoint family with wrk, or a Python driver
without it, over loopback:

- ``cached``: a few paths asked again and again (answers from the read cache where there is one);
- ``uncached``: every request a different path (a list rotates through its pages with a fresh
  ``_nc`` parameter, a detail through random objects with one), so no answer comes from the
  read cache.

For each it prints requests per second, p50/p99 and the server CPU per request (user + system
time of the gunicorn master and workers from /proc, before and after), and that CPU's ratio to
``/health/live`` (the framework floor) measured in the same run. Each measurement is split in
``--rounds`` (``--seconds`` between them) with the floor measured between the rounds, and each
round is compared with the mean of the floors right before and right after it: on a shared
machine the CPU a request costs drifts by 10-30 % over minutes (2x within an hour was seen),
and the floor then drifts with the family it is compared to. Targets (issue 19):
uncached SIM list of 50 at most 5x the floor, uncached SIM detail at most 4x.
"""

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    bench_env,
    flush_redis,
    load,
    manage,
    proc_cpu,
    served,
    throwaway_database,
    wrk_load,
)
from bench.sims import FILL as SIM_FILL

DATABASE = os.environ.get("BENCH_DATABASE", "fleetops_bench_cold_path")

# Every family's rows, and the ids the paths need, printed as JSON on the last line.
FILL = (
    SIM_FILL.replace("print(key)", "")
    + """
import json
import random
from datetime import timedelta
from decimal import Decimal
from alerts.models import Alert, AlertRule
from outages.tests.factories import OutageFactory
from payments.tests.factories import PaymentFactory
from provisioning.tests.factories import SubscriberFactory
from sms.models import SmsMessage
rng = random.Random(19)
sims = list(Sim.objects.filter(organization=org).order_by("pk")[:200])
SmsMessage.objects.bulk_create(
    SmsMessage(organization=org, sim=sims[i % 20], direction="MT", status="delivered",
               message=f"bench message {i}", created_at=now - timedelta(minutes=i))
    for i in range(2000)
)
SubscriberFactory.create_batch(300, organization=org)
# A subscriber's detail is read from PMNL (seed 003): the PMNL simulator holds these.
from django.conf import settings
from simulators.pmnl.testing import register_account, seed_subscribers
register_account(client_id=settings.PMNL_CLIENT_ID, client_secret=settings.PMNL_CLIENT_SECRET,
                 api_key=settings.PMNL_API_KEY)
upstream_subscribers = seed_subscribers(client_id=settings.PMNL_CLIENT_ID, count=300)
outages = OutageFactory.create_batch(300, organization=org)
PaymentFactory.create_batch(300, organization=org)
rule = AlertRule.objects.create(organization=org, name="bench", event_types=["sim.status_changed"])
Alert.objects.bulk_create(
    Alert(organization=org, rule=rule, subject=f"sim-{i}", event_type="sim.status_changed",
          title=f"Bench alert {i}", first_event_at=now, last_event_at=now - timedelta(seconds=i))
    for i in range(300)
)
sms = list(SmsMessage.objects.filter(organization=org).values_list("sms_id", "sim__iccid")[:200])
print(json.dumps({
    "key": key,
    "sms": sms,
    "subscribers": upstream_subscribers,
    "outages": [o.public_id for o in outages],
}))
"""
)

SYNCED = """
import json
from sims.models import Sim
print(json.dumps(list(Sim.objects.filter(iccid__startswith="8988303").values_list(
    "iccid", flat=True)[:20])))
"""


def gunicorn_from_config(env: dict, workers: int):
    """The app as production runs it (``config/gunicorn.py``: threaded keep-alive workers),
    without the access log; yields its URL and the master's pid."""
    return served(
        env,
        "-c",
        "config/gunicorn.py",
        "--workers",
        str(workers),
        "--access-logfile",
        "/dev/null",
        "--log-level",
        "warning",
        health="/health/live",
    )


def families(ids: dict, synced: list[str], n: int, rng: random.Random) -> dict:
    """Per family: (cached paths, uncached path for request i)."""

    def fresh(paths):
        def path(i):
            chosen = paths[i % len(paths)]
            return f"{chosen}{'&' if '?' in chosen else '?'}_nc={i}"

        return path

    sims = [f"/api/v1/sims/8988228{rng.randrange(n):012d}" for _ in range(2000)]
    sim_pages = [f"/api/v1/sims?page={p}" for p in range(1, max(2, n // 50) + 1)]
    sms = [f"/api/v1/sims/{iccid}/sms/{sms_id}" for sms_id, iccid in ids["sms"]]
    sms_lists = [
        f"/api/v1/sims/{iccid}/sms?page={p}" for _, iccid in ids["sms"][:20] for p in (1, 2)
    ]
    one = synced[:1] or ["8988228000000000000"]
    table = {
        "SIM list (50)": (["/api/v1/sims"], fresh(sim_pages)),
        "SIM detail": (sims[:10], fresh(sims)),
        "usage (SIM)": (
            [f"/api/v1/sims/{one[0]}/usage"],
            fresh([f"/api/v1/sims/{s}/usage" for s in synced or one]),
        ),
        "quota (SIM data)": (
            [f"/api/v1/sims/{one[0]}/quota/data"],
            fresh([f"/api/v1/sims/{s}/quota/data" for s in synced or one]),
        ),
        "SMS list": (sms_lists[:1], fresh(sms_lists)),
        "SMS detail": (sms[:10], fresh(sms)),
        "subscriber list": (
            ["/api/v1/subscribers"],
            fresh([f"/api/v1/subscribers?page={p}" for p in range(1, 7)]),
        ),
        "subscriber detail": (
            [f"/api/v1/subscribers/{s}" for s in ids["subscribers"][:10]],
            fresh([f"/api/v1/subscribers/{s}" for s in ids["subscribers"]]),
        ),
        "outage list": (
            ["/api/v1/outages"],
            fresh([f"/api/v1/outages?page={p}" for p in range(1, 7)]),
        ),
        "outage detail": (
            [f"/api/v1/outages/{o}" for o in ids["outages"][:10]],
            fresh([f"/api/v1/outages/{o}" for o in ids["outages"]]),
        ),
        "payment history": (
            ["/api/v1/payments/history"],
            fresh([f"/api/v1/payments/history?page={p}" for p in range(1, 7)]),
        ),
        "alert list": (
            ["/api/v1/alerts"],
            fresh([f"/api/v1/alerts?page={p}" for p in range(1, 7)]),
        ),
    }
    return table


def measure(
    url: str, pid: int, paths_for, count: int, args, headers, *, seconds=None, start: int = 0
) -> dict:
    paths = [paths_for(start + i) for i in range(count)]
    before = proc_cpu(pid)
    row = wrk_load(
        url,
        paths,
        headers=headers,
        seconds=seconds or args.seconds,
        concurrency=args.concurrency,
    )
    if row is None:
        started = time.perf_counter()
        row = load(
            lambda i: url + paths[i % len(paths)],
            headers=headers,
            requests_total=args.requests,
            concurrency=args.concurrency,
        )
        row["requests"] = args.requests
        row["wall"] = time.perf_counter() - started
    cpu = proc_cpu(pid) - before
    row["cpu_ms"] = cpu * 1000 / max(1, row.get("requests") or args.requests)
    row["cpu_s"] = cpu
    return row


def alternating(measure_one, floor, first_floor: dict, rounds: int) -> tuple[dict, float, dict]:
    """``measure_one(round)`` ``rounds`` times, a floor after each: the figures of all rounds
    together, the floor they are compared to (each round against the mean of the floors right
    before and right after it) and the last floor (the next family's first)."""
    rows, floors = [], [first_floor]
    for round_ in range(rounds):
        rows.append(measure_one(round_))
        floors.append(floor())
    requests_total = sum(row.get("requests") or 0 for row in rows)
    combined = {
        "requests": requests_total,
        "rps": sum(row["rps"] for row in rows) / len(rows),
        "p50": sum(row["p50"] for row in rows) / len(rows),
        "p99": max(row["p99"] for row in rows),
        "errors": sum(row["errors"] for row in rows),
        "cpu_ms": sum(row["cpu_s"] for row in rows) * 1000 / max(1, requests_total),
    }
    floor_ms = (
        sum((floors[i]["cpu_ms"] + floors[i + 1]["cpu_ms"]) / 2 for i in range(rounds)) / rounds
    )
    return combined, floor_ms, floors[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description="cold-path read benchmark")
    parser.add_argument("--sims", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=1500, help="per scenario, without wrk")
    parser.add_argument("--seconds", type=int, default=8, help="per scenario, with wrk")
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--rounds",
        type=int,
        default=2,
        help="each measurement split into rounds, the floor measured between them",
    )
    parser.add_argument("--only", default="", help="comma-separated family names to run")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    with throwaway_database(DATABASE, keep=args.keep) as database:
        env = bench_env(
            database,
            ONENCE_DEFAULT_ORGANIZATION="bench",
            PMNL_DEFAULT_ORGANIZATION="bench",
            RATE_LIMIT_ENABLED="true",
            RATE_LIMIT_PER_MINUTE=10**9,
            RATE_LIMIT_PER_HOUR=10**9,
            PMNL_SUBSCRIBER_RATE_PER_MINUTE=10**9,
            SECURE_SSL_REDIRECT="false",
            WEB_CONCURRENCY=args.workers,
        )
        flush_redis(env["REDIS_URL"])
        manage(env, "migrate", "--no-input", "-v", "0")
        started = time.perf_counter()
        out = manage(env, "shell", "-c", FILL.replace("sys.argv[1]", str(args.sims)))
        ids = json.loads(out.strip().splitlines()[-1])
        manage(env, "dbshell", "--", "-c", "VACUUM ANALYZE")
        print(f"filled in {time.perf_counter() - started:.1f}s ({args.sims} SIMs)", flush=True)
        headers = {"X-API-Key": ids["key"]}
        rng = random.Random(19)

        # The upstream simulators run in a server of their own: the measured one calls them as
        # it would call 1NCE and PMNL, and its CPU is its own (served by itself, its threads
        # would wait on themselves under load).
        with served(env, "--workers", "1", "--threads", "8", health="/health/live") as (
            upstream,
            _,
        ):
            env = {
                **env,
                "ONENCE_BASE_URL": f"{upstream}/sim/1nce/management-api",
                "PMNL_BASE_URL": f"{upstream}/sim/pmnl/v5",
                "HORIZON_URL": f"{upstream}/sim/horizon",
            }
            run(env, ids, headers, rng, args)


def run(env: dict, ids: dict, headers: dict, rng: random.Random, args) -> None:
    """Every family against the app served as production serves it, upstreams at ``env``'s."""
    with gunicorn_from_config(env, args.workers) as (url, pid):
        synced = []
        try:
            manage(env, "simulate_1nce", "seed", "--sims", "20", "--days", "3")
            manage(env, "sync_sims", "--organization", "bench", "-v", "0")
            # The sync marks every filled SIM missing upstream (the simulator holds 20): a
            # write to each row. Measured as a database settles after it (autovacuum within a
            # minute), not in the minute a mass write leaves every row to check for visibility.
            manage(env, "dbshell", "--", "-c", "VACUUM ANALYZE")
            synced = json.loads(manage(env, "shell", "-c", SYNCED).strip().splitlines()[-1])
        except (RuntimeError, ValueError) as exc:
            print(f"(no simulator SIMs for usage and quotas: {str(exc)[:200]})")
        driver = (
            "wrk"
            if wrk_load(url, ["/health/live"], headers={}, seconds=1, concurrency=1)
            else "python"
        )
        print(
            f"gunicorn from config/gunicorn.py, {args.workers} workers, {args.concurrency} "
            f"connections, driver {driver}, auth and rate limiting on"
        )

        seconds = max(1, round(args.seconds / args.rounds))

        def floor():
            return measure(url, pid, lambda i: "/health/live", 1, args, headers, seconds=seconds)

        print(
            f"{'family':<20} {'read':<9} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} "
            f"{'cpu ms/req':>10} {'floor ms':>8} {'x floor':>8}  errors"
        )

        def show(name, kind, row, floor_ms):
            print(
                f"{name:<20} {kind:<9} {row['rps']:>7.0f} {row['p50']:>7.1f} "
                f"{row['p99']:>7.1f} {row['cpu_ms']:>10.2f} {floor_ms:>8.2f} "
                f"{row['cpu_ms'] / floor_ms:>8.1f}  {row['errors']}",
                flush=True,
            )

        before = floor()
        show("/health/live", "floor", before, before["cpu_ms"])
        only = {name.strip() for name in args.only.split(",") if name.strip()}
        for name, (cached, uncached) in families(ids, synced, args.sims, rng).items():
            if only and name not in only:
                continue
            probe = requests.get(url + cached[0], headers=headers, timeout=30)
            if probe.status_code != 200:
                print(f"{name:<20} skipped: {cached[0]} answered {probe.status_code}")
                continue
            for _ in range(2):  # warm the read cache: a path is stored once asked twice
                for path in cached:
                    requests.get(url + path, headers=headers, timeout=30)
            for kind, paths_for, count in (
                ("cached", lambda i, c=cached: c[i % len(c)], len(cached)),
                # each round its own paths: a path asked again would be stored, then served
                ("uncached", uncached, 20_000),
            ):
                row, floor_ms, before = alternating(
                    lambda round_, p=paths_for, n=count: measure(
                        url, pid, p, n, args, headers, seconds=seconds, start=round_ * n
                    ),
                    floor,
                    before,
                    args.rounds,
                )
                show(name, kind, row, floor_ms)
        show("/health/live", "last", before, before["cpu_ms"])


if __name__ == "__main__":
    main()
