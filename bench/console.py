"""The console at fleet scale: the dashboard and the SIM page with 100,000 SIMs and a year of
usage, server time for a single client.

    .venv/bin/python bench/console.py [--sims 100000] [--days 365] [--requests 40] [--keep]
                                      [--reuse]

Creates the throwaway PostgreSQL database ``fleetops_bench_console`` (``BENCH_CONSOLE_DATABASE``
to name another; dropped at the end unless
``--keep``; ``--reuse`` measures a kept one again without reloading), migrates it and loads,
all in one organization (the worst case for a member's dashboard):

- ``--sims`` SIMs (bulk_create) with tags, a quota pair each, two connectivity readings each;
- ``--days`` days of usage per SIM with COPY (``bench/usage.py``'s loader: 36.5 million rows
  for 100,000 x 365), the daily rollup rebuilt by ``usage.services.rebuild_daily_rollup``;
- this month's top-ups, SMS, events and a few jobs and task runs, by ``INSERT ... SELECT``.

Then it renders, in this process through Django's test client (no network: the time is the
server's), ``--requests`` times each: the dashboard as a superuser (every organization) and as
the organization's staff member, and the SIM page of a random SIM. It prints p50/p95/max and
the number of queries per page. The dashboard is measured twice: with its cached panels fresh
(as beat's ``refresh-dashboard`` keeps them, every minute) and with them computed for each
request (what a miss costs; also beat's work per organization). 1NCE is not connected for the
bench organization, so the SIM page shows the stored connectivity reading (flagged stale)
instead of calling out; in production the live answer is cached for 30 s.
"""

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg

from bench import usage as usage_bench
from bench.common import bench_env, manage, throwaway_database

DATABASE = os.environ.get("BENCH_CONSOLE_DATABASE", "fleetops_bench_console")
DSN = f"postgresql://postgres@127.0.0.1:5432/{DATABASE}"
STATIC_ROOT = tempfile.mkdtemp(prefix="fleetops-bench-static-")

FILL = """
from accounts.models import Organization, Role, User
from core.identifiers import iccid_with_luhn
from sims.models import Sim
organization = Organization.objects.create(name="Bench", slug="bench")
User.objects.create_user("bench-member", organization=organization, role=Role.OPERATOR,
                         is_staff=True, password="x")
User.objects.create_user("bench-root", organization=None, is_staff=True, is_superuser=True,
                         password="x")
tags = [["prod"], ["prod", "iot"], ["lab"], [], ["pos", "berlin"]]
statuses = ["Enabled"] * 8 + ["Disabled", "Suspended"]
def rows():
    for i in range(SIMS):
        iccid = f"8988228{i:012d}"
        yield Sim(organization=organization, iccid=iccid, iccid_with_luhn=iccid_with_luhn(iccid),
                  imsi=f"901405{i:09d}", msisdn=f"88236{i:010d}", status=statuses[i % 10],
                  label=f"Device {i}", tags=tags[i % 5], current_rat="LTE",
                  data_quota_total_bytes=524288000,
                  data_quota_remaining_bytes=(i * 7919) % 524288000,
                  sms_quota_total=250, sms_quota_remaining=i % 251)
Sim.objects.bulk_create(rows(), batch_size=5000)
"""

# Everything but usage, set-based in PostgreSQL.
EXTRAS = [
    # Two readings per SIM: one 2 days ago, one recent (one in seven offline, one in eleven
    # not seen connected for a day).
    """INSERT INTO sims_connectivitysnapshot (sim_id, connected, details, taken_at)
       SELECT id, true, '{"rat": "LTE"}', now() - interval '2 days' FROM sims_sim""",
    """INSERT INTO sims_connectivitysnapshot (sim_id, connected, details, taken_at)
       SELECT id, (id % 7 <> 0) AND (id % 11 <> 0), '{"rat": "LTE"}',
              now() - (id % 600) * interval '1 minute' FROM sims_sim""",
    """INSERT INTO quotas_quota (sim_id, quota_type, volume, remaining, status,
              threshold_crossed_at, refreshed_at)
       SELECT id, 'data', 524288000, (id * 7919) % 524288000,
              CASE WHEN id % 97 = 0 THEN 'Exhausted' ELSE 'Active' END,
              CASE WHEN id % 13 = 0 THEN now() END, now() FROM sims_sim""",
    """INSERT INTO quotas_quota (sim_id, quota_type, volume, remaining, status, refreshed_at)
       SELECT id, 'sms', 250, id % 251, 'Active', now() FROM sims_sim""",
    """INSERT INTO quotas_topup (transaction_id, organization_id, sim_id, quota_type, volume,
              packages, status, source, idempotency_key, error, created_at, updated_at,
              completed_at)
       SELECT 'topup_bench_' || id, organization_id, id, 'data', 524288000, 1,
              CASE WHEN id % 50 = 0 THEN 'failed' ELSE 'completed' END, 'api', '', '',
              now() - (id % 20) * interval '1 hour', now(), now()
       FROM sims_sim WHERE id % 20 = 0""",
    """INSERT INTO sms_smsmessage (sms_id, organization_id, sim_id, direction, status, encoding,
              message, source_address, submission, idempotency_key, failure_reason,
              retry_count, created_at, updated_at)
       SELECT 'sms_bench_' || id, organization_id, id, 'MT',
              (ARRAY['delivered','delivered','delivered','failed','pending'])[1 + id % 5],
              'GSM7', 'ping', '', 'submitted', '', '', 0,
              now() - (id % 48) * interval '1 hour', now()
       FROM sims_sim WHERE id % 5 = 0""",
    """INSERT INTO sims_simevent (sim_id, organization_id, event_type, category, severity,
              source, upstream_id, description, details, occurred_at, created_at)
       SELECT s.id, s.organization_id, 'status_changed', 'lifecycle', 'info', 'fleetops', '',
              'Status changed', '{}', now() - n * interval '9 days', now()
       FROM sims_sim s, generate_series(1, 3) n""",
    """INSERT INTO core_job (id, kind, status, organization_id, params, task, runs, cursor,
              total, done, failed, error, created_at, updated_at)
       SELECT 'job_bench_' || n, 'quota.bulk_topup',
              CASE WHEN n <= 3 THEN 'processing' ELSE 'completed' END,
              (SELECT id FROM accounts_organization LIMIT 1), '{}', '', 1, 0, 100, n, 0, '',
              now() - n * interval '1 hour', now()
       FROM generate_series(1, 50) n""",
    # The monthly per-SIM rollup the usage sync keeps (usage.models.SimMonthlyUsage).
    """INSERT INTO usage_simmonthlyusage (sim_id, organization_id, month, data_bytes, sms,
              updated_at)
       SELECT sim_id, organization_id, date_trunc('month', date)::date,
              sum(data_rx_bytes + data_tx_bytes), sum(sms_mo + sms_mt), now()
       FROM usage_usagerecord GROUP BY sim_id, organization_id, date_trunc('month', date)""",
    "VACUUM ANALYZE",
]

MEASURE = """
import json, random, statistics, time
from django.core.cache import cache
from django.db import connection, reset_queries
from core import dashboard
from django.test import Client
from django.test.utils import CaptureQueriesContext
from accounts.models import User
from sims.models import Sim

def forget_panels():
    cache.delete_pattern(f"{dashboard.CACHE_PREFIX}:*")

def measure(client, paths, requests, before=None):
    timings, queries, sql = [], [], []
    # secure: as behind the TLS proxy (production settings redirect plain HTTP to HTTPS).
    client.get(paths[0], secure=True)  # warm: templates compiled, connection open
    for i in range(requests):
        if before is not None:
            before()
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(paths[i % len(paths)], secure=True)
            timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (paths[i % len(paths)], response.status_code)
        queries.append(len(captured))
        sql.append(sum(float(q["time"]) for q in captured.captured_queries) * 1000)
    timings.sort()
    q = statistics.quantiles(timings, n=100, method="inclusive")  # within the measured range
    return {"p50": round(q[49], 1), "p95": round(q[94], 1), "max": round(timings[-1], 1),
            "queries": max(queries), "sql_p50": round(statistics.median(sql), 1)}

rng = random.Random(5)
ids = list(Sim.objects.values_list("pk", flat=True))
pages = [f"/admin/sims/sim/{rng.choice(ids)}/change/" for _ in range(REQUESTS)]
results = {}
forget_panels()  # figures of an earlier run
for username, label in (("bench-root", "superuser"), ("bench-member", "staff member")):
    client = Client()
    client.force_login(User.objects.get(username=username))
    # The cached panels as beat keeps them (computed by the warm-up request, then fresh), and
    # computed for the request (what a miss costs, or beat's work per organization).
    results[f"dashboard ({label})"] = measure(client, ["/admin/"], REQUESTS)
    results[f"dashboard, computed ({label})"] = measure(
        client, ["/admin/"], max(5, REQUESTS // 4), before=forget_panels
    )
    results[f"SIM page ({label})"] = measure(client, pages, REQUESTS)
    results[f"SIM list ({label})"] = measure(client, ["/admin/sims/sim/"], REQUESTS)
print(json.dumps(results))
"""


def load(args, env) -> None:
    manage(env, "migrate", "--no-input", "-v", "0")
    started = time.perf_counter()
    manage(env, "shell", "-c", FILL.replace("SIMS", str(args.sims)))
    print(f"{args.sims:,} SIMs: {time.perf_counter() - started:.1f}s")
    # bench/usage.py's COPY loader, pointed at this database (its workers are forked).
    usage_bench.DSN = DSN
    rows, copied, indexed = usage_bench.load_usage(args.days, args.processes)
    print(f"{rows:,} usage rows: COPY {copied:.1f}s, indexes + VACUUM ANALYZE {indexed:.1f}s")
    started = time.perf_counter()
    manage(env, "shell", "-c", usage_bench.ROLLUP)
    print(f"daily rollup rebuilt: {time.perf_counter() - started:.1f}s")
    started = time.perf_counter()
    with psycopg.connect(DSN, autocommit=True) as conn:
        for statement in EXTRAS:
            conn.execute(statement)
    print(f"readings, quotas, top-ups, SMS, events, jobs: {time.perf_counter() - started:.1f}s")


def main() -> None:
    parser = argparse.ArgumentParser(description="The console at fleet scale")
    parser.add_argument("--sims", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--processes", type=int, default=2, help="COPY processes")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="measure a kept database again")
    args = parser.parse_args()

    if args.reuse:
        env = bench_env(DATABASE)
        manage(env, "migrate", "--no-input", "-v", "0")  # new indexes since it was kept
        return measure(args, env)
    with throwaway_database(DATABASE, keep=args.keep) as database:
        env = bench_env(database)
        load(args, env)
        measure(args, env)
    return None


def measure(args, env) -> None:
    # Production settings (debug off, manifest static files), so the test client is the only
    # overhead in the timing.
    env = {**env, "ALLOWED_HOSTS": "testserver,127.0.0.1", "STATIC_ROOT": STATIC_ROOT}
    manage(env, "collectstatic", "--no-input", "-v", "0")
    output = manage(
        env,
        "shell",
        "-c",
        MEASURE.replace("REQUESTS", str(args.requests)),
    )
    results = json.loads(output.strip().splitlines()[-1])
    load_average = Path("/proc/loadavg").read_text().split()[:3]
    print(
        f"single client, {args.requests} requests each, server time in ms (p50 / p95 / max; "
        f"SQL p50), load average {' '.join(load_average)}:"
    )
    for name, row in results.items():
        print(
            f"  {name:36} {row['p50']:7.1f} {row['p95']:7.1f} {row['max']:7.1f}"
            f"   SQL {row['sql_p50']:6.1f}   {row['queries']} queries"
        )


if __name__ == "__main__":
    main()
