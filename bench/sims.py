"""SIM inventory under load, and a full sync from the 1NCE simulator.

    .venv/bin/python bench/sims.py [--sims 100000] [--seconds 15] [--concurrency 50]
                                   [--sync-sims 100000] [--keep]

Creates a throwaway PostgreSQL database, fills the mirror with ``--sims`` SIMs, serves
FleetOps with gunicorn (PostgreSQL + Redis, production settings) and drives list (filter,
search, sort), detail and status with wrk (``apt-get install wrk``; a Python driver when it
is missing) from ``--concurrency`` connections, reporting requests per second and
p50/p95/p99. Lists rotate through many pages and queries, so most answers are cache misses.
Then seeds the simulator with ``--sync-sims`` SIMs and times a full ``sync_sims`` through the
real client (1NCE allows 10 requests/s at 100 SIMs a page:
the floor is sync_sims / 1000 seconds). Targets on 2 cores: list p95 < 100 ms, detail p95
< 30 ms, a 100,000-SIM sync < 150 s.
"""

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    bench_env,
    gunicorn,
    load,
    manage,
    report,
    throwaway_database,
    wrk_load,
)

FILL = """
import sys
from django.utils import timezone
from accounts.models import Organization, Role, User
from accounts.services import issue_api_key
from core.identifiers import iccid_with_luhn
from sims.models import Sim
n = int(sys.argv[1])
org = Organization.objects.create(name="Bench", slug="bench")
other = Organization.objects.create(name="Other", slug="other")
user = User.objects.create(username="bench", organization=org, role=Role.OPERATOR)
_, key = issue_api_key(user=user, name="bench")
now = timezone.now()
statuses = ["Enabled"] * 17 + ["Disabled", "Disabled", "Expired"]
tags = [["prod"], ["prod", "iot"], ["lab"], []]
def rows(organization, start, count):
    for i in range(start, start + count):
        iccid = f"8988228{i:012d}"
        yield Sim(organization=organization, iccid=iccid, iccid_with_luhn=iccid_with_luhn(iccid),
                  imsi=f"901405{i:09d}", msisdn=f"88236{i:010d}", imei=f"35{i:013d}",
                  status=statuses[i % 20], label=f"Device {i:06d} site-{i % 97}",
                  tags=tags[i % 4], activation_date=now, last_synced_at=now)
Sim.objects.bulk_create(rows(org, 0, n), batch_size=5000)
Sim.objects.bulk_create(rows(other, n, 1000), batch_size=5000)
print(key)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description="SIM inventory benchmark")
    parser.add_argument("--sims", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=2000, help="per scenario, without wrk")
    parser.add_argument("--seconds", type=int, default=15, help="per scenario, with wrk")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--sync-sims", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    with throwaway_database("fleetops_bench_sims", keep=args.keep) as database:
        env = bench_env(database, ONENCE_DEFAULT_ORGANIZATION="bench")
        manage(env, "migrate", "--no-input", "-v", "0")
        started = time.perf_counter()
        key = manage(env, "shell", "-c", FILL.replace("sys.argv[1]", str(args.sims))).strip()
        key = key.splitlines()[-1]
        # Fresh planner statistics, as autovacuum would have after a real fleet grew.
        manage(env, "dbshell", "--", "-c", "VACUUM ANALYZE sims_sim")
        print(f"mirror filled with {args.sims} SIMs in {time.perf_counter() - started:.1f}s")
        headers = {"X-API-Key": key}
        rng = random.Random(7)

        with gunicorn(env, workers=4) as url:
            n = args.sims
            scenarios = {
                "list (page 1)": ["/api/v1/sims"],
                "list filter status": [
                    f"/api/v1/sims?status=Disabled&page={p}" for p in range(1, 51)
                ],
                "list search label": [f"/api/v1/sims?search=site-{k}" for k in range(97)],
                "list search iccid prefix": [
                    f"/api/v1/sims?search=8988228{k:07d}" for k in range(100)
                ],
                "list sort label": [f"/api/v1/sims?sort_by=label&page={p}" for p in range(1, 101)],
                "list filter+search+sort": [
                    f"/api/v1/sims?status=Enabled&tags=prod&search=site-{k}"
                    "&sort_by=activation_date&sort_order=desc"
                    for k in range(97)
                ],
                "detail": [f"/api/v1/sims/8988228{rng.randrange(n):012d}" for _ in range(5000)],
                "status": [
                    f"/api/v1/sims/8988228{rng.randrange(n):012d}/status" for _ in range(5000)
                ],
            }
            print(
                f"{args.concurrency} concurrent connections for {args.seconds}s each (wrk), "
                "gunicorn 4 workers, PostgreSQL + Redis; lists rotate through many pages/queries"
            )
            for name, paths in scenarios.items():
                row = wrk_load(
                    url, paths, headers=headers, seconds=args.seconds, concurrency=args.concurrency
                )
                if row is None:  # no wrk: the Python driver (heavier on the CPU it measures)
                    row = load(
                        lambda i, paths=paths: url + paths[i % len(paths)],
                        headers=headers,
                        requests_total=args.requests,
                        concurrency=args.concurrency,
                    )
                report(name, row)

            if args.sync_sims:
                sync_env = {**env, "ONENCE_BASE_URL": f"{url}/sim/1nce/management-api"}
                started = time.perf_counter()
                manage(
                    sync_env, "simulate_1nce", "seed", "--sims", str(args.sync_sims), "--days", "1"
                )
                print(
                    f"simulator seeded with {args.sync_sims} SIMs in "
                    f"{time.perf_counter() - started:.1f}s"
                )
                started = time.perf_counter()
                out = manage(sync_env, "sync_sims", "--organization", "bench", "-v", "0")
                took = time.perf_counter() - started
                floor = args.sync_sims / 100 / 10
                print(out.strip())
                print(
                    f"full sync of {args.sync_sims} SIMs: {took:.1f}s "
                    f"(floor at 10 req/s: {floor:.0f}s, {took / floor:.2f}x the floor)"
                )


if __name__ == "__main__":
    main()
