"""Usage reads at fleet scale: one SIM's 90 days, and an organization's year by month.

    .venv/bin/python bench/usage.py [--sims 100000] [--days 365] [--orgs 10]
                                    [--seconds 15] [--concurrency 20] [--workers 4] [--keep]

Creates the throwaway PostgreSQL database ``fleetops_bench_usage`` (dropped at the end unless
``--keep``), migrates it, creates ``--sims`` SIMs spread over ``--orgs`` organizations and
loads ``--days`` days of usage for each with COPY (100,000 x 365 = 36.5 million rows), in
date order as the hourly sync writes them, with the indexes built after the load. The daily
rollup is then built by ``usage.services.rebuild_daily_rollup``. FleetOps is served by
gunicorn (production settings, PostgreSQL + Redis) and driven by wrk (a Python driver when
wrk is not installed) from ``--concurrency`` connections, and from one:

- ``GET /api/v1/sims/{iccid}/usage``, 90 days, daily, a random SIM each time (target p95 under
  20 ms);
- ``GET /api/v1/usage?granularity=monthly`` over the last year, from the rollup (target p95
  under 300 ms).

The load driver and the server share the machine's two cores. The same two reads are then
timed as bare SQL from ``--concurrency`` connections, which isolates the table and index
design from the web stack.
"""

import argparse
import json
import multiprocessing
import random
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg

from bench.common import (
    bench_env,
    gunicorn,
    load,
    manage,
    report,
    throwaway_database,
    wrk_load,
)

DATABASE = "fleetops_bench_usage"
DSN = f"postgresql://postgres@127.0.0.1:5432/{DATABASE}"
TABLE = "usage_usagerecord"
COLUMNS = "sim_id, organization_id, date, data_rx_bytes, data_tx_bytes, sms_mo, sms_mt, synced_at"

FILL = """
import json
from accounts.models import Organization, Role, User
from accounts.services import issue_api_key
from core.identifiers import iccid_with_luhn
from sims.models import Sim
sims, orgs = SIMS, ORGS
organizations = [
    Organization.objects.create(name=f"Bench {n}", slug=f"bench-{n}") for n in range(orgs)
]
user = User.objects.create(username="bench", organization=organizations[0], role=Role.VIEWER)
_, key = issue_api_key(user=user, name="bench")
tags = [["prod"], ["prod", "iot"], ["lab"], []]
def rows():
    for i in range(sims):
        iccid = f"8988228{i:012d}"
        yield Sim(organization=organizations[i % orgs], iccid=iccid,
                  iccid_with_luhn=iccid_with_luhn(iccid), imsi=f"901405{i:09d}",
                  status="Enabled" if i % 10 else "Disabled", tags=tags[i % 4])
Sim.objects.bulk_create(rows(), batch_size=5000)
print(json.dumps({"key": key, "organization": organizations[0].pk}))
"""

ROLLUP = """
from accounts.models import Organization
from usage.services import rebuild_daily_rollup
for organization in Organization.objects.order_by("id"):
    rebuild_daily_rollup(organization_id=organization.pk)
"""

INDEXES = [
    # As usage/migrations/0001_initial.py creates it on PostgreSQL: covering, for index-only scans.
    f"ALTER TABLE {TABLE} ADD CONSTRAINT usage_record_unique_sim_date UNIQUE (sim_id, date) "
    "INCLUDE (data_rx_bytes, data_tx_bytes, sms_mo, sms_mt, session_count)",
    f"CREATE INDEX usage_record_org_date ON {TABLE} (organization_id, date)",
    f"CREATE INDEX usage_record_date_brin ON {TABLE} USING brin (date)",
]


def drop_indexes(conn) -> None:
    conn.execute(f"ALTER TABLE {TABLE} DROP CONSTRAINT IF EXISTS usage_record_unique_sim_date")
    conn.execute("DROP INDEX IF EXISTS usage_record_org_date")
    conn.execute("DROP INDEX IF EXISTS usage_record_date_brin")


def copy_days(task: tuple[list[tuple[int, int]], list[date]]) -> int:
    """COPY every SIM's usage for these days (one worker process, one connection)."""
    sims, days = task
    rows = 0
    with psycopg.connect(DSN) as conn:
        conn.execute("SET synchronous_commit = off")
        with conn.cursor() as cursor, cursor.copy(f"COPY {TABLE} ({COLUMNS}) FROM STDIN") as copy:
            for day in days:
                stamp = f"{day + timedelta(days=1)} 00:10:00+00"
                ordinal = day.toordinal()
                lines = []
                for sim_id, organization_id in sims:
                    h = (sim_id * 2654435761 + ordinal * 40503) & 0xFFFFFFFF
                    rx = (h % 4_000_000) + (sim_id % 7) * 100_000
                    tx = (h >> 8) % 1_500_000
                    lines.append(
                        f"{sim_id}\t{organization_id}\t{day}\t{rx}\t{tx}\t{h % 5}\t{(h >> 3) % 3}"
                        f"\t{stamp}\n"
                    )
                copy.write("".join(lines))
                rows += len(lines)
    return rows


def load_usage(days: int, processes: int) -> tuple[int, float, float]:
    with psycopg.connect(DSN, autocommit=True) as conn:
        sims = conn.execute("SELECT id, organization_id FROM sims_sim ORDER BY id").fetchall()
        drop_indexes(conn)
    last = date.today()
    all_days = [last - timedelta(days=n) for n in range(days - 1, -1, -1)]
    # Consecutive days per task: rows land roughly in date order, as the hourly sync writes.
    step = max(1, len(all_days) // (processes * 8))
    tasks = [(sims, all_days[i : i + step]) for i in range(0, len(all_days), step)]
    started = time.perf_counter()
    with multiprocessing.Pool(processes) as pool:
        rows = sum(pool.imap(copy_days, tasks))
    copied = time.perf_counter() - started
    started = time.perf_counter()
    with psycopg.connect(DSN, autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '1GB'")
        conn.execute("SET max_parallel_maintenance_workers = 2")
        for statement in INDEXES:
            conn.execute(statement)
        conn.execute(f"VACUUM ANALYZE {TABLE}")
    return rows, copied, time.perf_counter() - started


def database_only(sim_ids: list[int], organization_id: int, args) -> dict:
    """The two reads' SQL alone, from ``--concurrency`` connections: what the table design
    costs without Django, HTTP and the load driver."""
    today = date.today()
    ninety, year = today - timedelta(days=89), today - timedelta(days=364)
    sim_sql = (
        "SELECT date, data_rx_bytes, data_tx_bytes, sms_mo, sms_mt, session_count "
        "FROM usage_usagerecord "
        "WHERE sim_id = %s AND date >= %s AND date <= %s ORDER BY date"
    )
    rollup_sql = (
        "SELECT date, data_rx_bytes, data_tx_bytes, sms_mo, sms_mt, sim_count "
        "FROM usage_organizationdailyusage WHERE organization_id = %s AND date >= %s "
        "AND date <= %s ORDER BY date"
    )
    local = threading.local()
    rng = random.Random(11)

    def timed(sql, params):
        def one(i):
            conn = getattr(local, "conn", None)
            if conn is None:
                conn = local.conn = psycopg.connect(DSN, autocommit=True)
            started = time.perf_counter()
            conn.execute(sql, params(i)).fetchall()
            return (time.perf_counter() - started) * 1000

        with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
            timings = list(pool.map(one, range(args.requests)))
        q = statistics.quantiles(timings, n=100)
        return {"p50": q[49], "p95": q[94], "p99": q[98]}

    return {
        "SQL: one SIM, 90 days": timed(sim_sql, lambda i: (rng.choice(sim_ids), ninety, today)),
        "SQL: rollup, 365 days": timed(rollup_sql, lambda i: (organization_id, year, today)),
    }


def sizes() -> dict:
    with psycopg.connect(DSN) as conn:
        table, total = conn.execute(
            f"SELECT pg_size_pretty(pg_relation_size('{TABLE}')), "
            f"pg_size_pretty(pg_total_relation_size('{TABLE}'))"
        ).fetchone()
    return {"table": table, "with_indexes": total}


def main() -> None:
    parser = argparse.ArgumentParser(description="Usage reads at fleet scale")
    parser.add_argument("--sims", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--orgs", type=int, default=10)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=15, help="per scenario, with wrk")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--processes", type=int, default=2, help="COPY processes")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    with throwaway_database(DATABASE, keep=args.keep) as database:
        env = bench_env(database)
        manage(env, "migrate", "--no-input", "-v", "0")
        started = time.perf_counter()
        fill = FILL.replace("SIMS", str(args.sims)).replace("ORGS", str(args.orgs))
        created = json.loads(manage(env, "shell", "-c", fill).strip().splitlines()[-1])
        took = time.perf_counter() - started
        print(f"{args.sims} SIMs in {args.orgs} organizations: {took:.1f}s")

        rows, copied, indexed = load_usage(args.days, args.processes)
        print(f"{rows:,} usage rows: COPY {copied:.1f}s, indexes + VACUUM ANALYZE {indexed:.1f}s")
        started = time.perf_counter()
        manage(env, "shell", "-c", ROLLUP)
        print(f"daily rollup rebuilt: {time.perf_counter() - started:.1f}s; sizes {sizes()}")

        # The caller's organization holds every --orgs-th SIM, starting with the first.
        mine = range(0, args.sims, args.orgs)
        rng = random.Random(7)
        today = date.today()
        ninety = f"start_date={today - timedelta(days=89)}&end_date={today}&granularity=daily"
        year = f"start_date={today - timedelta(days=364)}&end_date={today}&granularity=monthly"
        headers = {"X-API-Key": created["key"]}
        results = {}
        with gunicorn(env, workers=args.workers) as url:
            scenarios = {
                "SIM usage, 90 days daily": [
                    f"/api/v1/sims/8988228{rng.choice(mine):012d}/usage?{ninety}"
                    for _ in range(5000)
                ],
                "fleet usage, 12 months monthly": [f"/api/v1/usage?{year}"],
            }
            print(
                f"{args.concurrency} concurrent connections (wrk, {args.seconds}s each; "
                f"{args.requests} requests with the Python driver when wrk is missing), "
                f"gunicorn {args.workers} workers, PostgreSQL + Redis"
            )
            for name, paths in scenarios.items():
                for clients, label in ((args.concurrency, name), (1, f"{name} (1 client)")):
                    # One client: the service time itself, without queueing for the 2 CPUs.
                    row = wrk_load(
                        url, paths, headers=headers, seconds=args.seconds, concurrency=clients
                    ) or load(
                        lambda i, paths=paths: url + paths[i % len(paths)],
                        headers=headers,
                        requests_total=args.requests if clients > 1 else 300,
                        concurrency=clients,
                    )
                    report(label, row)
                    if clients > 1:
                        results[name] = row
        with psycopg.connect(DSN) as conn:
            sim_ids = [row[0] for row in conn.execute("SELECT id FROM sims_sim").fetchall()]
        for name, row in database_only(sim_ids, created["organization"], args).items():
            print(
                f"{name:<34} p50 {row['p50']:7.2f} ms  p95 {row['p95']:7.2f} ms  "
                f"p99 {row['p99']:7.2f} ms  ({args.concurrency} connections)"
            )
        targets = {"SIM usage, 90 days daily": 20, "fleet usage, 12 months monthly": 300}
        for name, target in targets.items():
            verdict = "met" if results[name]["p95"] < target else "MISSED"
            print(f"target p95 < {target} ms for {name}: {verdict}")


if __name__ == "__main__":
    main()
