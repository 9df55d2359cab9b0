"""Webhook fan-out: events to endpoints, event-to-delivery latency, and a receiver outage.

    .venv/bin/python -m bench.webhooks [--events 10000] [--endpoints 10] [--rate 50]
                                       [--down-seconds 600] [--workers 2]
                                       [--pool prefork] [--concurrency CPUS]

Phase 1 publishes ``--events`` events at ``--rate`` a second (each in its own transaction, as
services do) to an organization with ``--endpoints`` webhooks on one local receiver, with
Celery workers (prefork, a process a CPU, as production runs them) delivering; it reports
deliveries a second, the p50/p95/max time from an event's commit to its arrival, where that
time went, and the CPU a delivery cost. Phase 2 stops the receiver for ``--down-seconds``,
publishes through the outage, starts it again and waits (driving the periodic sweep) until
every delivery arrived; it reports how long that took and that each delivery id arrived,
counting repeats (a receiver drops those by id).

Uses a throwaway database ``BENCH_DATABASE`` (default fleetops_bench_webhooks) and Redis db
``BENCH_REDIS_DB`` (default 13) on ``BENCH_REDIS_PORT`` (default 6379) as the broker: two runs
on one machine give each their own.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime

from bench.common import (
    PYTHON,
    ROOT,
    bench_env,
    manage,
    proc_cpu,
    throwaway_database,
    wait_for_workers,
)

DATABASE = os.environ.get("BENCH_DATABASE", "fleetops_bench_webhooks")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--endpoints", type=int, default=10)
    parser.add_argument("--rate", type=float, default=50.0, help="events published a second")
    parser.add_argument("--down-seconds", type=int, default=600)
    parser.add_argument("--outage-events", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2, help="Celery workers")
    parser.add_argument(
        "--pool", default="prefork", help="the workers' pool, as production runs it by default"
    )
    parser.add_argument(
        "--concurrency", type=int, default=os.cpu_count(), help="processes (threads) a worker"
    )
    args = parser.parse_args()

    redis_db = os.environ.get("BENCH_REDIS_DB", "13")
    redis_port = os.environ.get("BENCH_REDIS_PORT", "6379")
    redis_url = f"redis://127.0.0.1:{redis_port}/{redis_db}"
    with throwaway_database(DATABASE):
        env = bench_env(
            DATABASE,
            CELERY_BROKER_URL=redis_url,
            REDIS_URL=redis_url,
            FLEETOPS_ENV="development",
            DEBUG="false",
            WEBHOOK_ALLOW_HTTP="true",
            WEBHOOK_ALLOW_PRIVATE_NETWORKS="true",
            EMAIL_URL="dummymail://",
        )
        manage(env, "migrate", "--no-input")
        os.environ.update(env)
        import django

        sys.path.insert(0, str(ROOT))
        django.setup()
        import redis

        redis.Redis.from_url(redis_url).flushdb()
        run(args, env)


def run(args, env: dict) -> None:
    from accounts.models import Organization
    from alerts import services
    from alerts.models import AlertRule
    from alerts.tests.receiver import Receiver
    from core.context import Context

    receiver = Receiver()
    organization = Organization.objects.create(name="Bench", slug="bench")
    AlertRule.objects.filter(organization=organization).delete()  # webhooks only
    for index in range(args.endpoints):
        services.create_webhook(
            organization=organization,
            url=f"{receiver.url}/{index}",
            event_types=["quota.*"],
            context=Context(),
        )
    workers = [
        subprocess.Popen(  # noqa: S603
            [
                PYTHON,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool",
                args.pool,
                "-c",
                str(args.concurrency),
                "-l",
                "WARNING",
                "-n",
                f"bench{index}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for index in range(args.workers)
    ]
    try:
        names = [f"bench{index}" for index in range(args.workers)]
        waited = wait_for_workers(env["CELERY_BROKER_URL"], names)
        print(f"workers ready after {waited:.1f} s", flush=True)
        expected = args.events * args.endpoints
        started = time.monotonic()
        cpu_before = workers_cpu(workers), time.process_time()
        published = publish(organization, args.events, args.rate)
        wait_for(receiver, expected, timeout=max(120, args.events / 20))
        elapsed = time.monotonic() - started
        workers_ms = (workers_cpu(workers) - cpu_before[0]) * 1000
        bench_ms = (time.process_time() - cpu_before[1]) * 1000
        latencies = latencies_ms(receiver, published)
        print_row("fan-out stages (p50/p95 ms)", stages())
        print_row(
            "fan-out",
            {
                "events": args.events,
                "endpoints": args.endpoints,
                "deliveries": len(receiver.requests),
                "deliveries_per_s": round(len(receiver.requests) / elapsed, 1),
                "p50_ms": round(statistics.median(latencies)),
                "p95_ms": round(statistics.quantiles(latencies, n=20)[18]),
                "max_ms": round(max(latencies)),
                # CPU a delivery: the workers' (dispatch, fan-out, sending), and this process's
                # (publishing the events and the receiver), from /proc and process_time.
                "worker_cpu_ms": round(workers_ms / max(1, len(receiver.requests)), 2),
                "publisher_receiver_cpu_ms": round(bench_ms / max(1, len(receiver.requests)), 2),
            },
        )

        receiver.stop()
        down_started = time.monotonic()
        before = len(receiver.requests)
        publish(organization, args.outage_events, args.rate)
        time.sleep(max(0.0, args.down_seconds - (time.monotonic() - down_started)))
        receiver = restart(receiver, before)
        back = time.monotonic()
        expected_after = args.outage_events * args.endpoints
        drain(receiver, before + expected_after, services)
        ids = Counter(r["headers"].get("X-FleetOps-Delivery") for r in receiver.requests[before:])
        print_row(
            "outage",
            {
                "down_s": args.down_seconds,
                "events_during_outage": args.outage_events,
                "deliveries_expected": expected_after,
                "delivery_ids_received": len(ids),
                "repeats_dropped_by_id": sum(ids.values()) - len(ids),
                "drained_after_s": round(time.monotonic() - back, 1),
            },
        )
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=30)
        receiver.stop()


def stages() -> dict:
    """Where an event's time to delivery went, from the delivery rows: event to fan-out
    (the dispatch task), fan-out to the attempt (waiting for its webhook's drain), and the
    attempt to its recorded success (the send and the batch around it)."""
    from django.db.models import F

    from alerts.models import WebhookDelivery

    rows = WebhookDelivery.objects.filter(delivered_at__isnull=False).values_list(
        F("event__occurred_at"), "created_at", "last_attempt_at", "delivered_at"
    )
    spans: dict[str, list[float]] = {"dispatch": [], "drain_wait": [], "send": []}
    for occurred, created, attempted, delivered in rows:
        spans["dispatch"].append((created - occurred).total_seconds() * 1000)
        spans["drain_wait"].append((attempted - created).total_seconds() * 1000)
        spans["send"].append((delivered - attempted).total_seconds() * 1000)
    return {
        name: f"{round(statistics.median(values))}/{round(statistics.quantiles(values, n=20)[18])}"
        for name, values in spans.items()
        if len(values) > 1
    }


def workers_cpu(workers) -> float:
    return sum(proc_cpu(worker.pid) for worker in workers)


def publish(organization, count: int, rate: float) -> dict[str, float]:
    """Publish ``count`` events at ``rate`` a second; returns event id -> commit time."""
    from django.db import transaction

    from core.events import publish as publish_event

    committed: dict[str, float] = {}
    start = time.monotonic()
    for index in range(count):
        with transaction.atomic():
            event = publish_event(
                "quota.threshold_reached",
                organization_id=organization.pk,
                subject=f"sim:{index}",
                data={"iccid": f"89882286660{index:08d}", "quota_type": "data", "threshold": 80},
            )
        committed[event.event_id] = time.time()
        delay = start + (index + 1) / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    return committed


def latencies_ms(receiver, committed: dict[str, float]) -> list[float]:
    return [
        (r["received_at"] - committed[json.loads(r["body"])["id"]]) * 1000
        for r in receiver.requests
        if json.loads(r["body"])["id"] in committed
    ]


def wait_for(receiver, expected: int, *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while len(receiver.requests) < expected and time.monotonic() < deadline:
        time.sleep(0.2)


def drain(receiver, expected: int, services) -> None:
    """Drive the periodic sweep (beat would, every minute) until everything arrived."""
    from django.utils import timezone

    from alerts.models import DeliveryStatus, WebhookDelivery

    deadline = time.monotonic() + 3600
    while len(receiver.requests) < expected and time.monotonic() < deadline:
        services.sweep_due_deliveries()
        time.sleep(5)
    left = WebhookDelivery.objects.exclude(status=DeliveryStatus.SUCCEEDED).count()
    print(f"# undelivered rows left: {left} at {timezone.now():%H:%M:%S}")


def restart(old, keep: int):
    from alerts.tests.receiver import Receiver

    receiver = Receiver(port=old.port)
    receiver.requests = old.requests[:keep]
    return receiver


def print_row(name: str, row: dict) -> None:
    stamp = datetime.now(UTC).strftime("%H:%M:%S")
    print(f"{stamp} {name}: " + ", ".join(f"{k}={v}" for k, v in row.items()), flush=True)


if __name__ == "__main__":
    main()
