"""Exactly once under chaos: bulk top-ups and SMS while 1NCE misbehaves and the worker dies.

    .venv/bin/python bench/chaos.py [--sims 200] [--sms 50] [--hang 3] [--settle 20]
                                    [--max-seconds 600] [--keep]

Loopback only, bounded. Creates the throwaway PostgreSQL database ``fleetops_bench_chaos``
(dropped at the end unless ``--keep``) and uses Redis dbs 13 (cache) and 14 (Celery broker),
which it empties first. FleetOps and its 1NCE simulator are served by gunicorn (production
settings); a real Celery worker runs the bulk job against Redis as the broker.

- The simulator holds ``--sims`` SIMs, mirrored by ``sync_sims``; its faults on top-ups and
  SMS are mixed: 12 % of the calls hang ``--hang`` s past the client's 1 s read timeout and
  are then applied (late writes), 8 % answer 503 without applying (and so do the hanging ones
  they overlap: lost writes), 5 % answer 429; halfway, writes switch to "applied, then 503"
  and "applied, then a hang". 1NCE's rate limits are enforced (``/orders`` 100 per 5 min).
- One bulk top-up of one package for every SIM (``POST /api/v1/sims/topup``); the worker
  process group is killed with SIGKILL twice while it runs and restarted each time, and the
  job is re-enqueued as the job sweeper does.
- ``--sms`` clients each send one message (``POST /api/v1/sims/{iccid}/sms``) and retry it
  with the same ``Idempotency-Key`` on every error or "outcome pending" answer until it is
  accepted.
- The faults end when the job has finished; the reconcilers (``reconcile_topups``,
  ``reconcile_sms``, with a ``--settle`` s settle window) then run every few seconds, and the
  SIMs whose items ended ``failed`` (settled as not applied) are submitted again in a new
  bulk job, as a client would, until every SIM is topped up or ``--max-seconds`` pass.

It then counts what 1NCE holds (the simulator's orders and messages) against what was asked:
requested, bought/sent at 1NCE, doubled (more than one for a SIM / a message) and lost (none).
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import redis
import requests

from bench.common import PYTHON, ROOT, bench_env, free_port, manage, throwaway_database

DATABASE = "fleetops_bench_chaos"
# The bench flushes these: apart from the test suite's Redis dbs (14, 15) and bench's (12).
CACHE_DB, BROKER_DB = 10, 11
PACKAGE = 524_288_000

SETUP = """
import json
from accounts.models import Organization, Role, User
from accounts.services import issue_api_key
organization = Organization.objects.create(name="Chaos", slug="chaos")
user = User.objects.create(username="chaos", organization=organization, role=Role.OPERATOR)
_, key = issue_api_key(user=user, name="chaos")
print(json.dumps({"key": key}))
"""

FAULTS = """
from simulators.onence import testing
testing.set_faults(
    hang_seconds={hang}, hang_rate=0.12, error_rate=0.08, error_status=503, throttle_rate=0.05,
    retry_after=1, ambiguous_writes={ambiguous}, paths="/topup,/sms", enforce_rate_limit=True,
)
"""

CLEAR = """
from simulators.onence import testing
testing.set_faults(enforce_rate_limit=True)
"""

REQUEUE = """
from quotas.tasks import run_bulk_topup_task
run_bulk_topup_task.delay("{job_id}")
"""

COUNT = """
import json
from collections import Counter
from simulators.onence.models import OnenceOrder, OnenceSms, OnenceRequestLog
orders = Counter()
for order in OnenceOrder.objects.filter(order_type__in=["TOPUP", "BULK_TOPUP"]):
    for iccid in order.iccids:
        orders[iccid] += 1
sms = Counter(
    OnenceSms.objects.filter(sms_type=1, payload__startswith="chaos ").values_list(
        "payload", flat=True
    )
)
log = OnenceRequestLog.objects
print(json.dumps({
    "orders": orders,
    "sms": sms,
    "order_calls": log.filter(path__contains="/v1/orders", method="GET").count(),
    "order_429": log.filter(path__contains="/v1/orders", status=429).count(),
    "faults": dict(Counter(log.exclude(fault="").values_list("fault", flat=True))),
}))
"""


class Worker:
    """A Celery worker subprocess in its own process group, killed with SIGKILL."""

    def __init__(self, env: dict):
        self.env = env
        self.process = None

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603
            [PYTHON, "-m", "celery", "-A", "config", "worker", "-c", "2", "-l", "WARNING"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)


def start_gunicorn(env: dict, port: int) -> subprocess.Popen:
    process = subprocess.Popen(  # noqa: S603
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
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(120):
        try:
            if requests.get(f"http://127.0.0.1:{port}/health", timeout=5).status_code == 200:
                return process
        except requests.RequestException:
            time.sleep(0.5)
    process.terminate()
    raise RuntimeError("gunicorn did not start")


def send_until_accepted(api, index: int, iccid: str, deadline: float) -> dict:
    """One client: send ``chaos {index}`` and retry with the same key until accepted."""
    body = {"message": f"chaos {index}", "encoding": "GSM7"}
    headers = {"Idempotency-Key": f"chaos-sms-{index}"}
    attempts = 0
    while time.monotonic() < deadline:
        attempts += 1
        try:
            response = api.post(f"/api/v1/sims/{iccid}/sms", json=body, headers=headers)
        except requests.RequestException:
            time.sleep(1)
            continue
        if response.status_code == 202 and not response.json()["data"]["outcome_pending"]:
            return {"accepted": True, "attempts": attempts}
        time.sleep(2)
    return {"accepted": False, "attempts": attempts}


class Api:
    def __init__(self, base: str, key: str):
        self.base = base
        self.session = threading.local()
        self.headers = {"X-API-Key": key}

    def _session(self) -> requests.Session:
        if not hasattr(self.session, "s"):
            self.session.s = requests.Session()
            self.session.s.headers.update(self.headers)
        return self.session.s

    def get(self, path: str) -> requests.Response:
        return self._session().get(self.base + path, timeout=60)

    def post(self, path: str, **kwargs) -> requests.Response:
        return self._session().post(self.base + path, timeout=60, **kwargs)


def submit_bulk(api: Api, iccids: list[str], key: str) -> str:
    body = {"sims": [{"iccid": i, "quota_type": "data", "volume": PACKAGE} for i in iccids]}
    for _ in range(10):
        response = api.post("/api/v1/sims/topup", json=body, headers={"Idempotency-Key": key})
        if response.status_code == 202:
            return response.json()["data"]["job_id"]
        time.sleep(1)
    raise RuntimeError(f"bulk top-up refused: {response.status_code} {response.text[:300]}")


def job_items(api: Api, job_id: str) -> tuple[dict, list[dict]]:
    results, page = [], 1
    while True:
        data = api.get(f"/api/v1/jobs/{job_id}?page={page}").json()["data"]
        results.extend(data.get("results") or [])
        if len(results) >= data["total"] or not data.get("results") or page > 50:
            return data, results
        page += 1


def main() -> None:
    parser = argparse.ArgumentParser(description="Exactly-once chaos run")
    parser.add_argument("--sims", type=int, default=200)
    parser.add_argument("--sms", type=int, default=50)
    parser.add_argument("--hang", type=float, default=3.0)
    parser.add_argument("--settle", type=int, default=20)
    parser.add_argument("--max-seconds", type=int, default=600)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    print("command:", " ".join([Path(sys.executable).name, *sys.argv]))
    started = time.monotonic()
    deadline = started + args.max_seconds
    for db in (CACHE_DB, BROKER_DB):
        redis.Redis(host="127.0.0.1", port=6379, db=db).flushdb()

    with throwaway_database(DATABASE, keep=args.keep) as database:
        port = free_port()
        env = bench_env(
            database,
            REDIS_URL=f"redis://127.0.0.1:6379/{CACHE_DB}",
            CELERY_BROKER_URL=f"redis://127.0.0.1:6379/{BROKER_DB}",
            SITE_URL=f"http://127.0.0.1:{port}",
            ONENCE_BASE_URL=f"http://127.0.0.1:{port}/sim/1nce/management-api",
            ONENCE_DEFAULT_ORGANIZATION="chaos",
            UPSTREAM_READ_TIMEOUT=1.0,
            UPSTREAM_MAX_RETRIES=2,
            TOPUP_SETTLE_SECONDS=args.settle,
            SMS_SETTLE_SECONDS=args.settle,
            TOPUP_RECONCILE_GRACE_SECONDS=10,
        )
        manage(env, "migrate", "--no-input", "-v", "0")
        key = json.loads(manage(env, "shell", "-c", SETUP).strip().splitlines()[-1])["key"]
        server = start_gunicorn(env, port)
        worker = Worker(env)
        try:
            manage(env, "simulate_1nce", "seed", "--sims", str(args.sims), "--days", "1",
                   "--client-id", "fleetops-demo-client", "--client-secret", "fleetops-demo-secret",
                   "--flaky-share", "0",
                   "--disabled-share", "0", "--expired-share", "0")  # fmt: skip
            manage(env, "sync_sims", "--organization", "chaos", "-v", "0")
            api = Api(f"http://127.0.0.1:{port}", key)
            iccids = [row["iccid"] for row in sims(api)][: args.sims]
            print(f"{len(iccids)} SIMs mirrored; faults on; worker started")
            worker.start()
            manage(env, "shell", "-c", FAULTS.format(hang=args.hang, ambiguous=False))

            job_id = submit_bulk(api, iccids, "chaos-bulk-0")
            jobs = [job_id]
            pool = ThreadPoolExecutor(max_workers=5)
            sms_iccids = iccids[: args.sms]
            sms_futures = [
                pool.submit(send_until_accepted, api, i, iccid, deadline)
                for i, iccid in enumerate(sms_iccids)
            ]

            kills = 0
            for threshold in (args.sims // 5, args.sims * 3 // 5):
                while time.monotonic() < deadline:
                    data = api.get(f"/api/v1/jobs/{job_id}").json()["data"]
                    if data["done"] + data["failed"] >= threshold or data["status"] in (
                        "completed",
                        "partial",
                        "failed",
                    ):
                        break
                    time.sleep(0.5)
                if data["status"] in ("completed", "partial", "failed"):
                    break
                worker.kill()
                kills += 1
                print(f"worker killed at {data['done'] + data['failed']}/{args.sims} items")
                if kills == 1:  # the second half: writes applied, then 503 or a hang
                    manage(env, "shell", "-c", FAULTS.format(hang=args.hang, ambiguous=True))
                worker.start()
                manage(env, "shell", "-c", REQUEUE.format(job_id=job_id))
            while time.monotonic() < deadline:
                data = api.get(f"/api/v1/jobs/{job_id}").json()["data"]
                if data["status"] in ("completed", "partial", "failed"):
                    break
                time.sleep(1)
            print(f"bulk job finished: {data['status']}, {data['done']} done, {data['failed']} "
                  f"not done, after {time.monotonic() - started:.0f}s")  # fmt: skip
            manage(env, "shell", "-c", CLEAR)

            # Settle, and resubmit what was settled as not applied, until all are topped up.
            resubmits = 0
            while time.monotonic() < deadline:
                manage(env, "reconcile_topups")
                manage(env, "reconcile_sms")
                unknown, failed, succeeded = set(), set(), set()
                for job in jobs:
                    for row in job_items(api, job)[1]:
                        {"unknown": unknown, "failed": failed, "succeeded": succeeded}.get(
                            row["status"], set()
                        ).add(row["key"])
                retry = failed - succeeded - unknown
                if not unknown and not retry and all(f.done() for f in sms_futures):
                    break
                if retry and not unknown:
                    resubmits += 1
                    jobs.append(submit_bulk(api, sorted(retry), f"chaos-bulk-{resubmits}"))
                    print(f"resubmitted {len(retry)} SIMs settled as not topped up")
                time.sleep(3)
            sms_results = [f.result() for f in sms_futures]
            pool.shutdown()
            counts = json.loads(manage(env, "shell", "-c", COUNT).strip().splitlines()[-1])
        finally:
            worker.kill()
            server.terminate()
            server.wait(timeout=30)

    orders, messages = counts["orders"], counts["sms"]
    bought = sum(orders.get(i, 0) for i in iccids)
    doubled = sum(max(0, orders.get(i, 0) - 1) for i in iccids)
    lost = sum(1 for i in iccids if not orders.get(i))
    texts = [f"chaos {i}" for i in range(len(sms_iccids))]
    sent = sum(messages.get(t, 0) for t in texts)
    sms_doubled = sum(max(0, messages.get(t, 0) - 1) for t in texts)
    sms_lost = sum(1 for t in texts if not messages.get(t))
    print(f"worker kills: {kills}; bulk jobs: {len(jobs)} (1 + {len(jobs) - 1} resubmissions)")
    print(f"1NCE faults injected: {counts['faults']}")
    print(f"order-list calls: {counts['order_calls']} ({counts['order_429']} answered 429)")
    print(f"packages requested {len(iccids)}, bought at 1NCE {bought}, doubled {doubled}, "
          f"lost {lost}")  # fmt: skip
    print(f"messages requested {len(texts)}, sent at 1NCE {sent}, doubled {sms_doubled}, "
          f"lost {sms_lost} (client attempts: "
          f"{sum(r['attempts'] for r in sms_results)})")  # fmt: skip
    print(f"took {time.monotonic() - started:.0f}s")
    sys.exit(0 if not (doubled or lost or sms_doubled or sms_lost) else 1)


def sims(api: Api) -> list[dict]:
    rows, page = [], 1
    while True:
        data = api.get(f"/api/v1/sims?page={page}&page_size=100&sort_by=iccid").json()
        rows.extend(data["data"])
        if not data["pagination"]["has_next"]:
            return rows
        page += 1


if __name__ == "__main__":
    main()
