"""What authentication and rate limiting cost per request.

Runs a minimal API endpoint in-process (Django test client, the full middleware stack)
against PostgreSQL and Redis, once with an API key (key lookup, hash check, usage tally, two
Redis rate-limit windows, envelope) and once open, and prints requests per second and
latency percentiles of each and the difference.

    .venv/bin/python bench/auth.py [--requests 3000]

Uses DATABASE_URL / REDIS_URL like the tests (defaults: local PostgreSQL and Redis db 13);
creates and drops its own database ``test_<name>``.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("FLEETOPS_ENV", "test")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/fleetops_bench")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/13")
os.environ.setdefault("CELERY_BROKER_URL", "memory://")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ["RATE_LIMIT_PER_MINUTE"] = os.environ["RATE_LIMIT_PER_HOUR"] = "100000000"

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402


def measure(client: Client, path: str, n: int, **headers) -> list[float]:
    for _ in range(min(200, n)):  # warm-up: connections, caches, code paths
        client.get(path, **headers)
    timings = []
    for _ in range(n):
        started = time.perf_counter()
        response = client.get(path, **headers)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.content
    return timings


def summary(name: str, timings: list[float]) -> dict:
    timings = sorted(timings)
    p = statistics.quantiles(timings, n=100)
    row = {
        "name": name,
        "rps": len(timings) / (sum(timings) / 1000),
        "p50": p[49],
        "p95": p[94],
        "p99": p[98],
    }
    print(
        f"{name:<28} {row['rps']:>8.0f} req/s   p50 {row['p50']:6.3f} ms   "
        f"p95 {row['p95']:6.3f} ms   p99 {row['p99']:6.3f} ms"
    )
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    args = parser.parse_args()

    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        with override_settings(ROOT_URLCONF="bench.urls", DEBUG=False):
            cache.clear()
            from accounts.services import issue_api_key
            from accounts.tests.factories import UserFactory

            _, raw = issue_api_key(user=UserFactory(), name="bench")
            client = Client()
            engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
            print(f"{args.requests} requests each, in-process, {engine} + Redis")
            open_row = summary(
                "open (no auth, no limits)", measure(client, "/bench/open-ping", args.requests)
            )
            key_row = summary(
                "API key + rate limits",
                measure(client, "/bench/ping", args.requests, HTTP_X_API_KEY=raw),
            )
            print(
                f"auth + rate limiting add {key_row['p50'] - open_row['p50']:.3f} ms at p50, "
                f"{key_row['p95'] - open_row['p95']:.3f} ms at p95"
            )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
