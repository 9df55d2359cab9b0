"""SIM inventory under load, and a full sync from the 1NCE simulator.

    .venv/bin/python bench/sims.py [--sims 100000] [--requests 2000] [--concurrency 50]
                                   [--sync-sims 100000] [--keep]

Creates a throwaway PostgreSQL database, fills the mirror with ``--sims`` SIMs, serves
FleetOps with gunicorn (PostgreSQL + Redis, production settings) and drives list (filter,
search, sort), detail and status from ``--concurrency`` client threads, reporting requests
per second and p50/p95/p99. Then seeds the simulator with ``--sync-sims`` SIMs and times a
full ``sync_sims`` through the real client (1NCE allows 10 requests/s at 100 SIMs a page:
the floor is sync_sims / 1000 seconds). Targets on 2 cores: list p95 < 100 ms, detail p95
< 30 ms, a 100,000-SIM sync < 150 s.
"""

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import bench_env, gunicorn, load, manage, report, throwaway_database

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
    parser.add_argument("--requests", type=int, default=2000)
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
        print(f"mirror filled with {args.sims} SIMs in {time.perf_counter() - started:.1f}s")
        headers = {"X-API-Key": key}
        rng = random.Random(7)
        iccid = lambda: f"8988228{rng.randrange(args.sims):012d}"  # noqa: E731

        with gunicorn(env, workers=4) as url:
            api = f"{url}/api/v1/sims"
            scenarios = {
                "list (page 1)": lambda i: api,
                "list filter status": lambda i: f"{api}?status=Disabled&page={i % 20 + 1}",
                "list search label": lambda i: f"{api}?search=site-{i % 97}",
                "list search iccid prefix": lambda i: f"{api}?search=89882280000{i % 10}",
                "list sort label": lambda i: f"{api}?sort_by=label&page={i % 50 + 1}",
                "list filter+search+sort": lambda i: (
                    f"{api}?status=Enabled&tags=prod&search=site-{i % 97}"
                    "&sort_by=activation_date&sort_order=desc"
                ),
                "detail": lambda i: f"{api}/{iccid()}",
                "status": lambda i: f"{api}/{iccid()}/status",
            }
            print(
                f"{args.requests} requests each, {args.concurrency} concurrent clients, "
                "gunicorn 4 workers, PostgreSQL + Redis"
            )
            for name, url_for in scenarios.items():
                load(
                    url_for,
                    headers=headers,
                    requests_total=min(200, args.requests),
                    concurrency=args.concurrency,
                )  # warm-up
                report(
                    name,
                    load(
                        url_for,
                        headers=headers,
                        requests_total=args.requests,
                        concurrency=args.concurrency,
                    ),
                )

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
