"""PMNL provisioning end to end: synchronous creates, and queued creates through two Celery
workers, against the PMNL simulator served by the same gunicorn.

    .venv/bin/python bench/provisioning.py [--sync 100] [--rate 20] [--seconds 30] [--keep]

Creates a throwaway PostgreSQL database, serves FleetOps with gunicorn (production settings,
the simulators on, PMNL pointing at its simulator), then

1. sends ``--sync`` synchronous creates (``POST /api/v1/subscribers``) one after another:
   latency p50/p95 (each is a token-cached PMNL create plus a read back for the mirror);
2. starts two Celery workers (each with ``--concurrency`` processes, by default the number of
   CPUs, as a production worker started without the flag has) and sends queued creates
   (``?queue_request=true``) at ``--rate`` a second for ``--seconds``; PMNL's simulator keeps
   each queued 0.5 s and processing 1 s.
   Reported: creates accepted per second, requests completed per second, and completion time
   (submission to ``completed`` in our database) p50/p95.

Target on 2 cores: the queued path keeps up with 20 creates/s with p95 completion < 5 s.
Redis: ``BENCH_REDIS_PORT`` (default 6379), databases 10 and 11 (flushed); the throwaway
database is ``BENCH_DATABASE`` (default fleetops_bench_provisioning): two runs on one machine
give each their own.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import redis
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    PYTHON,
    ROOT,
    bench_env,
    free_port,
    manage,
    throwaway_database,
    wait_for_workers,
)

DATABASE = os.environ.get("BENCH_DATABASE", "fleetops_bench_provisioning")
CACHE_DB, BROKER_DB = 10, 11
CUST_ID = "9123456"

SETUP = """
import json
from accounts.models import Organization, Role, User
from accounts.services import issue_api_key
from provisioning.models import CustomerAuthorization
org = Organization.objects.create(name="Bench", slug="bench")
user = User.objects.create(username="bench", organization=org, role=Role.OPERATOR)
CustomerAuthorization.objects.create(user=user, organization=org, cust_id="9123456")
_, key = issue_api_key(user=user, name="bench")
print(json.dumps({"key": key}))
"""

OUTCOME = """
import json
from provisioning.models import ProvisioningRequest
rows = ProvisioningRequest.objects.filter(queued=True).values_list(
    "status", "created_at", "completed_at")
out = [[s, c.timestamp(), d.timestamp() if d else None] for s, c, d in rows]
print(json.dumps(out))
"""


def body(n: int) -> dict:
    return {
        "iccid": f"89312400{n:012d}",
        "msisdn": f"3165{n:07d}",
        "cust_id": CUST_ID,
        "admin_info": f"Bench {n}",
        "aor": {"domain_id": 101, "auth_username": f"+3165{n:07d}", "auth_password": "bench-pass1"},
        "apn": {"name": "data.bench.net", "speed_up": 1024, "speed_down": "max"},
        "subscriber_state": True,
        "network_access_list": {
            "zoneNL": True,
            "zone1": True,
            "zone2": False,
            "zone3": False,
            "zone4": False,
            "zone5": False,
        },
        "contract": {"service_package": 1234567, "service_profile": 7, "duration": 12},
        "credit": {"max_credit": 50.0},
    }


def percentile(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100)[p - 1] if len(values) > 1 else values[0]


def start(command: list[str], env: dict) -> subprocess.Popen:
    """A server or worker; its output kept in ``BENCH_LOG_DIR`` when set (else dropped)."""
    log_dir = os.environ.get("BENCH_LOG_DIR")
    out = subprocess.DEVNULL
    if log_dir:
        name = "-".join(part for part in command[2:5] if not part.startswith("-"))
        out = open(Path(log_dir) / f"{name}-{time.monotonic_ns()}.log", "w")  # noqa: SIM115
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603


def main() -> None:
    parser = argparse.ArgumentParser(description="PMNL provisioning benchmark")
    parser.add_argument("--sync", type=int, default=100)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument(
        "--concurrency",
        type=int,
        default=os.cpu_count() or 1,
        help="processes per worker (Celery's default: the number of CPUs)",
    )
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    print("command:", " ".join([Path(sys.executable).name, *sys.argv]))
    redis_port = int(os.environ.get("BENCH_REDIS_PORT", "6379"))
    for db in (CACHE_DB, BROKER_DB):
        redis.Redis(host="127.0.0.1", port=redis_port, db=db).flushdb()

    with throwaway_database(DATABASE, keep=args.keep) as database:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = bench_env(
            database,
            REDIS_URL=f"redis://127.0.0.1:{redis_port}/{CACHE_DB}",
            CELERY_BROKER_URL=f"redis://127.0.0.1:{redis_port}/{BROKER_DB}",
            SITE_URL=base,
            PMNL_BASE_URL=f"{base}/sim/pmnl/v5",
            PMNL_TOKEN_URL=f"{base}/sim/pmnl/oauth2/token",
            PMNL_DEFAULT_ORGANIZATION="bench",
            PMNL_POLL_INTERVAL_SECONDS=1.0,
            # Plain HTTP on loopback: production settings would redirect every call to https.
            SECURE_SSL_REDIRECT="false",
        )
        manage(env, "migrate", "--no-input", "-v", "0")
        key = json.loads(manage(env, "shell", "-c", SETUP).strip().splitlines()[-1])["key"]
        server = start(
            [
                PYTHON,
                "-m",
                "gunicorn",
                "config.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "3",
                "--threads",
                "8",
                "--timeout",
                "120",
                "--log-level",
                "warning",
            ],
            env,
        )
        workers = []
        try:
            for _ in range(120):
                try:
                    if requests.get(f"{base}/health", timeout=5).status_code == 200:
                        break
                except requests.RequestException:
                    time.sleep(0.5)
            session = requests.Session()
            session.headers["X-API-Key"] = key

            # 1. synchronous creates, one at a time
            timings = []
            for n in range(args.sync):
                started = time.perf_counter()
                response = session.post(f"{base}/api/v1/subscribers", json=body(n), timeout=60)
                timings.append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    raise RuntimeError(f"sync create: {response.status_code} {response.text[:300]}")
            print(
                f"sync create      {args.sync} creates  p50 {percentile(timings, 50):6.1f} ms  "
                f"p95 {percentile(timings, 95):6.1f} ms",
                flush=True,
            )

            # 2. queued creates at a fixed rate, two workers following them
            for name in ("w1", "w2"):
                workers.append(
                    start(
                        [
                            PYTHON,
                            "-m",
                            "celery",
                            "-A",
                            "config",
                            "worker",
                            "-c",
                            str(args.concurrency),
                            "-n",
                            f"{name}@%h",
                            "-l",
                            "WARNING",
                        ],
                        env,
                    )
                )
            waited = wait_for_workers(env["CELERY_BROKER_URL"], ["w1", "w2"])
            print(f"workers ready    after {waited:.1f} s", flush=True)
            total = int(args.rate * args.seconds)
            local = threading.local()
            failures = []

            def submit(i: int) -> None:
                due = t0 + i / args.rate
                time.sleep(max(0.0, due - time.monotonic()))
                s = getattr(local, "s", None)
                if s is None:
                    s = local.s = requests.Session()
                    s.headers["X-API-Key"] = key
                r = s.post(
                    f"{base}/api/v1/subscribers?queue_request=true",
                    json=body(100_000 + i),
                    timeout=60,
                )
                if r.status_code != 202:
                    failures.append(r.status_code)

            t0 = time.monotonic()
            with ThreadPoolExecutor(max_workers=8) as pool:
                list(pool.map(submit, range(total)))
            submitted_in = time.monotonic() - t0
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                rows = json.loads(manage(env, "shell", "-c", OUTCOME).strip().splitlines()[-1])
                if rows and all(status in ("completed", "failed") for status, _, _ in rows):
                    break
                time.sleep(2)
            done = [r for r in rows if r[0] == "completed"]
            durations = [d - c for _, c, d in done]
            span = max(d for _, _, d in done) - min(c for _, c, _ in rows)
            print(
                f"queued create    {total} submitted in {submitted_in:.1f} s "
                f"({total / submitted_in:.1f}/s), refused {len(failures)}; "
                f"{len(done)} completed, {len(rows) - len(done)} not; "
                f"{len(done) / span:.1f} completed/s end to end",
                flush=True,
            )
            print(
                f"completion time  p50 {percentile(durations, 50):.2f} s  "
                f"p95 {percentile(durations, 95):.2f} s  max {max(durations):.2f} s "
                "(PMNL simulator: 0.5 s queued + 1 s processing)",
                flush=True,
            )
            print("target: keeps up with 20 creates/s, p95 completion < 5 s")
        finally:
            for process in (*workers, server):
                process.terminate()
            for process in (*workers, server):
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()  # a worker holding countdown polls: nothing left to finish
                    process.wait(timeout=30)


if __name__ == "__main__":
    main()
