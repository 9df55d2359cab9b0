"""Outages at scale: the list with filters and quarterly MTTR by week, single client.

    .venv/bin/python bench/outages.py [--outages 1000000] [--organizations 10]
                                      [--requests 200] [--keep]

Creates a throwaway PostgreSQL database, migrates it, loads ``--outages`` outages spread over
``--organizations`` organizations and two years (PostgreSQL COPY in batches: 2 % still
open, the rest resolved with MTTR and SLA outcome), runs VACUUM ANALYZE, serves FleetOps with
gunicorn (production settings) and sends ``--requests`` GETs per scenario from one client:

- ``GET /api/v1/outages`` rotating filters (severity, status, site, date range) and offsets;
- ``GET /api/v1/analytics/mttr`` for a quarter, ``group_by=week``, rotating quarters.

Target: p95 under 200 ms for both (issue 15). Redis: ``BENCH_REDIS_URL`` (default
``REDIS_URL``).
"""

import argparse
import contextlib
import io
import json
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg

from bench.common import bench_env, gunicorn, load, manage, report, throwaway_database

SEVERITIES = ["critical", "high", "medium", "low"]
THRESHOLDS = {"critical": 15, "high": 30, "medium": 60, "low": 120}
SITES = 400
END = datetime(2026, 11, 1, tzinfo=UTC)
SPAN = timedelta(days=730)

SETUP = """
from accounts.models import Organization, Role, User
from accounts.services import issue_api_key
orgs = [Organization.objects.create(name=f"Bench {i}", slug=f"bench-{i}") for i in range(N)]
user = User.objects.create(username="bench", organization=orgs[0], role=Role.OPERATOR)
_, key = issue_api_key(user=user, name="bench")
print(",".join(str(o.pk) for o in orgs))
print(key)
"""

REUSE = """
from accounts.models import User
from accounts.services import issue_api_key
_, key = issue_api_key(user=User.objects.get(username="bench"), name="bench")
print(key)
"""

COLUMNS = (
    "organization_id, number, site_name, site_id, severity, status, detected_at, resolved_at, "
    "description, root_cause, resolution_notes, affected_services, affected_subscribers, "
    "mttr_minutes, sla_met, created_at, updated_at, detected_at_source, resolved_at_source"
)


def rows(organization_ids: list[int], total: int, seed: int = 15):
    """Tab-separated rows for COPY, ``total`` spread evenly over the organizations."""
    rng = random.Random(seed)
    numbers = dict.fromkeys(organization_ids, 0)
    for i in range(total):
        organization_id = organization_ids[i % len(organization_ids)]
        numbers[organization_id] += 1
        severity = SEVERITIES[rng.choices(range(4), weights=(1, 2, 3, 4))[0]]
        detected = END - SPAN * rng.random()
        site = rng.randrange(SITES)
        if rng.random() < 0.02:
            status, resolved, mttr, met = "active", "\\N", "\\N", "\\N"
        else:
            threshold = THRESHOLDS[severity]
            minutes = max(1, int(rng.gammavariate(2.0, threshold * 0.45)))
            status = "resolved"
            resolved = (
                detected + timedelta(minutes=minutes, seconds=rng.randrange(60))
            ).isoformat()
            mttr, met = str(minutes), "t" if minutes <= threshold else "f"
        yield (
            "\t".join(
                [
                    str(organization_id),
                    str(numbers[organization_id]),
                    f"Cell Tower {site:03d}",
                    f"SITE{site:03d}",
                    severity,
                    status,
                    detected.isoformat(),
                    resolved,
                    "Signal loss",
                    "",
                    "",
                    json.dumps(["4G"]),
                    str(rng.randrange(5000)),
                    mttr,
                    met,
                    detected.isoformat(),
                    detected.isoformat(),
                    "person",  # typed, not taken from SIM evidence (issue 18)
                    "person",
                ]
            )
            + "\n"
        )


def fill(database: str, organization_ids: list[int], total: int, batch: int = 100_000) -> None:
    with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{database}") as conn:
        generator = rows(organization_ids, total)
        done = 0
        while done < total:
            chunk = io.StringIO("".join(next(generator) for _ in range(min(batch, total - done))))
            with (
                conn.cursor() as cursor,
                cursor.copy(f"COPY outages_outage ({COLUMNS}) FROM STDIN") as copy,
            ):
                copy.write(chunk.getvalue())
            conn.commit()
            done += min(batch, total - done)
            print(f"  loaded {done:,} outages", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description="Outages benchmark")
    parser.add_argument("--outages", type=int, default=1_000_000)
    parser.add_argument("--organizations", type=int, default=10)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--database", default="fleetops_h15_bench_outages")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--reuse", action="store_true", help="measure a database kept by --keep (migrated again)"
    )
    args = parser.parse_args()
    redis_url = os.environ.get("BENCH_REDIS_URL") or os.environ.get("REDIS_URL")

    database_context = (
        contextlib.nullcontext(args.database)
        if args.reuse
        else throwaway_database(args.database, keep=args.keep)
    )
    with database_context as database:
        env = bench_env(
            database,
            # Plain HTTP from the client: production's HTTPS redirect would answer every GET.
            SECURE_SSL_REDIRECT="false",
            **({"REDIS_URL": redis_url} if redis_url else {}),
        )
        manage(env, "migrate", "--no-input", "-v", "0")
        if args.reuse:
            key = manage(env, "shell", "-c", REUSE).strip().splitlines()[-1]
        else:
            out = manage(env, "shell", "-c", SETUP.replace("N)", f"{args.organizations})"))
            ids_line, key = out.strip().splitlines()[-2:]
            organization_ids = [int(i) for i in ids_line.split(",")]
            started = time.perf_counter()
            fill(database, organization_ids, args.outages)
            loaded = time.perf_counter() - started
            print(f"loaded {args.outages:,} outages in {loaded:.0f} s", file=sys.stderr)
        manage(env, "dbshell", "--", "-c", "VACUUM ANALYZE outages_outage")

        rng = random.Random(4)
        quarters = [END - timedelta(days=91 * (q + 1)) for q in range(8)]

        def list_url(i: int) -> str:
            params = [f"limit={rng.choice([10, 20, 50])}", f"offset={rng.choice([0, 50, 200])}"]
            choice = i % 4
            if choice == 0:
                params += [f"severity={rng.choice(SEVERITIES)}", "status=resolved"]
            elif choice == 1:
                params += ["severity=critical", "status=active"]
            elif choice == 2:
                params += [f"site_name=Cell Tower {rng.randrange(SITES):03d}"]
            else:
                start = END - timedelta(days=rng.randrange(30, 700))
                params += [
                    f"start_date={start.date().isoformat()}",
                    f"end_date={(start + timedelta(days=7)).date().isoformat()}",
                    f"severity={rng.choice(SEVERITIES)}",
                ]
            return "/api/v1/outages?" + "&".join(params)

        def mttr_url(i: int) -> str:
            start = quarters[i % len(quarters)]
            end = start + timedelta(days=91)
            return (
                f"/api/v1/analytics/mttr?start_date={start.date().isoformat()}"
                f"&end_date={end.date().isoformat()}&group_by=week"
            )

        with gunicorn(env, workers=2) as url:
            headers = {"X-API-Key": key}
            for name, path_for in (
                ("outages list (filters)", list_url),
                ("mttr quarter by week", mttr_url),
            ):
                load(
                    lambda i, p=path_for: url + p(i),
                    headers=headers,
                    requests_total=20,
                    concurrency=1,
                )
                row = load(
                    lambda i, p=path_for: url + p(i),
                    headers=headers,
                    requests_total=args.requests,
                    concurrency=1,
                )
                report(f"{name} ({args.outages:,} outages)", row)


if __name__ == "__main__":
    main()
