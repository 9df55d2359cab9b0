"""Site outage detection at scale (issue 18): Data Streamer ingest and time to outage open.

    .venv/bin/python bench/correlation.py [--sims 100000] [--sites 2000] [--events 60000]
                                          [--batch 500] [--clients 4] [--workers 2] [--keep]

Creates a throwaway PostgreSQL database, migrates it, creates ``--sims`` SIMs spread over
``--sites`` sites of one organization and its Data Streamer credentials, serves FleetOps with
gunicorn (production settings) and posts 1NCE Data Streamer batches to
``/api/v1/integrations/1nce/data-streamer/events`` from ``--clients`` threads:

1. throughput: ``--events`` records of ordinary traffic (location updates, PDP contexts
   created and deleted, isolated SIM losses and recoveries) in ``--batch`` records a POST;
   events/s over the wall time;
2. time to open: while that traffic goes on, 60 % of one site's SIMs go down within a minute
   (event time); the seconds from posting the batch holding the loss that crosses the
   threshold until the outage row is there (polled in the database).

Targets (issue 18): 2,000 events/s; an outage open within 10 s of the events that justify
it. Redis: ``BENCH_REDIS_URL`` (default ``REDIS_URL``).
"""

import argparse
import os
import random
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg
import requests

from bench.common import bench_env, gunicorn, manage, throwaway_database

SETUP = """
from accounts.models import Organization
from core.context import Context
from sims.models import Sim
from sites.models import Site
from sites.services import create_stream
org = Organization.objects.create(name="Bench", slug="bench")
sites = Site.objects.bulk_create(
    [Site(organization=org, code=f"SITE{i:05d}", name=f"Tower {i}") for i in range(SITES_N)]
)
per = SIMS_N // SITES_N
batch = []
for n in range(SIMS_N):
    batch.append(Sim(organization=org, iccid=f"8988303{n:012d}", site=sites[n % SITES_N]))
    if len(batch) == 5000:
        Sim.objects.bulk_create(batch)
        batch = []
Sim.objects.bulk_create(batch)
Site.objects.filter(organization=org).update(sim_count=per)
stream, password = create_stream(organization=org, context=Context.system(via="bench"))
print(stream.username)
print(password)
"""

EVENT_TYPES = {
    "location": {"id": 1, "description": "Update location"},
    "create": {"id": 3, "description": "Create PDP Context"},
    "delete": {"id": 4, "description": "Delete PDP Context"},
}


def iccid(n: int) -> str:
    return f"8988303{n:012d}"


def record(event_id: int, n: int, at: datetime, kind: str) -> dict:
    return {
        "id": event_id,
        "timestamp": at.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "event_type": EVENT_TYPES[kind],
        "event_severity": {"id": 0, "description": "INFO"},
        "event_source": {"id": 0, "description": "Network"},
        "organisation": {"id": 1, "name": "bench"},
        "alert": kind == "delete",
        "description": EVENT_TYPES[kind]["description"],
        "sim": {"id": n, "iccid": iccid(n), "msisdn": f"882285{n:09d}"},
        "imsi": {"id": n, "imsi": f"901405{n:09d}"},
        "detail": None,
    }


class Traffic:
    """Ordinary traffic: mostly location updates and new PDP contexts of online SIMs, and a
    few isolated losses, each recovered a little later (never two at a site at once). None of
    it touches ``avoid_site``, whose losses are scripted."""

    def __init__(self, sims: int, sites: int, start: datetime, seed: int = 18):
        self.rng = random.Random(seed)
        self.sims, self.sites = sims, sites
        self.at = start
        self.next_id = 1
        self.down: dict[int, int] = {}  # site -> the SIM down there

    def batch(self, size: int, avoid_site: int | None = None) -> list[dict]:
        rows = []
        for _ in range(size):
            self.at += timedelta(milliseconds=5)
            n = self.rng.randrange(self.sims)
            if n % self.sites == avoid_site:  # the site going down hears nothing else
                n = (n + 1) % self.sims
            site = n % self.sites
            roll = self.rng.random()
            if site in self.down and (roll < 0.5 or self.down[site] == n):
                n, kind = self.down.pop(site), "create"
            elif roll < 0.02 and site not in self.down and site != avoid_site:
                self.down[site], kind = n, "delete"
            else:
                kind = "location" if roll < 0.6 else "create"
            rows.append(record(self.next_id, n, self.at, kind))
            self.next_id += 1
        return rows


def outage_opened(database: str, code: str) -> bool:
    with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{database}") as conn:
        return (
            conn.execute("SELECT 1 FROM outages_outage WHERE site_id = %s", [code]).fetchone()
            is not None
        )


def main() -> None:
    parser = argparse.ArgumentParser(description="Site correlation benchmark")
    parser.add_argument("--sims", type=int, default=100_000)
    parser.add_argument("--sites", type=int, default=2_000)
    parser.add_argument("--events", type=int, default=60_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database", default="fleetops_h18_bench_correlation")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    redis_url = os.environ.get("BENCH_REDIS_URL") or os.environ.get("REDIS_URL")

    with throwaway_database(args.database, keep=args.keep) as database:
        env = bench_env(
            database,
            API_MAX_BODY_BYTES=8 * 1024 * 1024,
            SECURE_SSL_REDIRECT="false",
            **({"REDIS_URL": redis_url} if redis_url else {}),
        )
        manage(env, "migrate", "--no-input", "-v", "0")
        started = time.perf_counter()
        script = SETUP.replace("SITES_N", str(args.sites)).replace("SIMS_N", str(args.sims))
        username, password = manage(env, "shell", "-c", script).strip().splitlines()[-2:]
        print(
            f"{args.sims:,} SIMs in {args.sites:,} sites set up in "
            f"{time.perf_counter() - started:.0f} s",
            file=sys.stderr,
        )
        manage(env, "dbshell", "--", "-c", "VACUUM ANALYZE")

        traffic = Traffic(args.sims, args.sites, datetime.now(UTC) - timedelta(hours=2))
        local = threading.local()
        failures = []

        def post(batch: list[dict]) -> float:
            session = getattr(local, "session", None)
            if session is None:
                session = local.session = requests.Session()
                session.auth = (username, password)
            began = time.perf_counter()
            response = session.post(url + path, json=batch, timeout=120)
            if response.status_code != 200:
                failures.append(response.status_code)
            return time.perf_counter() - began

        path = "/api/v1/integrations/1nce/data-streamer/events"
        with gunicorn(env, workers=args.workers) as url:
            batches = [traffic.batch(args.batch) for _ in range(args.events // args.batch)]
            began = time.perf_counter()
            with ThreadPoolExecutor(max_workers=args.clients) as pool:
                latencies = sorted(pool.map(post, batches))
            wall = time.perf_counter() - began
            sent = len(batches) * args.batch
            print(
                f"ingest: {sent:,} events in {wall:.1f} s = {sent / wall:,.0f} events/s "
                f"({args.batch} a batch, {args.clients} clients, {args.workers} workers); "
                f"batch p50 {latencies[len(latencies) // 2] * 1000:.0f} ms, "
                f"p95 {latencies[int(len(latencies) * 0.95)] * 1000:.0f} ms; "
                f"errors {len(failures)}",
                flush=True,
            )

            # A site goes down while the ordinary traffic goes on.
            site = args.sites // 2
            code = f"SITE{site:05d}"
            members = list(range(site, args.sims, args.sites))
            lost = members[: max(3, int(len(members) * 0.6))]
            step = timedelta(seconds=60 / len(lost))
            loss_at = traffic.at
            losses = [
                record(10**9 + i, n, loss_at + step * i, "delete") for i, n in enumerate(lost)
            ]
            # Enough losses to cross the 50 % threshold come in the last batch.
            crossing = len(members) // 2 + 1
            first, last = losses[: crossing - 1], losses[crossing - 1 :]
            with ThreadPoolExecutor(max_workers=args.clients) as pool:
                noise = [traffic.batch(args.batch, avoid_site=site) for _ in range(args.clients)]
                list(pool.map(post, [first + noise[0], *noise[1:]]))
                began = time.perf_counter()
                list(pool.map(post, [last + traffic.batch(args.batch, avoid_site=site)]))
                while not outage_opened(database, code):
                    if time.perf_counter() - began > 60:
                        raise SystemExit("no outage opened within 60 s")
                    time.sleep(0.05)
                opened = time.perf_counter() - began
            print(
                f"time to open: {opened:.2f} s from posting the batch with the justifying "
                f"losses to the outage of {code} ({len(lost)} of {len(members)} SIMs lost)",
                flush=True,
            )


if __name__ == "__main__":
    main()
