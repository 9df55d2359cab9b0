"""Benchmark: list a 10,000-SIM fleet through OnenceClient over loopback HTTP.

Seeds the 1NCE simulator in a throwaway SQLite database, serves it with ``manage.py runserver``
on a free port, lists every SIM through the real client (pageSize 100, so 100 pages) and
reports the wall time against the floor the 10 requests/second limit sets (100 pages -> 10 s).
The rate limiter shares its budget through Redis (``REDIS_URL``, default db 13).

    .venv/bin/python bench/onence_client.py [--sims 10000] [--page-size 100] [--unlimited]

``--unlimited`` adds two runs without the client-side limiter: one against the simulator's own
10/s enforcement (429 + ``Retry-After``: what the limiter saves us from) and one with that
enforcement off too (what the server itself costs per page).
"""

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):  # noqa: S310 (loopback URL we built)
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server did not come up at {url}")


def retries_429(registry) -> float:
    labels = {"upstream": "1nce", "operation": "list_sims", "reason": "429"}
    return registry.get_sample_value("fleetops_upstream_retries_total", labels) or 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sims", type=int, default=10_000)
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--unlimited", action="store_true")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="fleetops-bench-"))
    port = free_port()
    env = {
        **os.environ,
        "FLEETOPS_ENV": "development",
        "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/13"),
        "SIMULATORS_ENABLED": "true",
        "LOG_LEVEL": "ERROR",  # the unlimited runs would log every 429 retry
        "PORT": str(port),
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    os.environ.update(env)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], check=True, env=env, cwd=ROOT)  # noqa: S603

    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.core.cache import cache
    from prometheus_client import REGISTRY

    from simulators.onence.testing import clear_faults, seed_fleet, set_faults
    from upstream.onence import OnenceClient, OnenceCredentials

    started = time.monotonic()
    iccids = seed_fleet(sims=args.sims, days=1)
    print(f"seeded {len(iccids)} SIMs in {time.monotonic() - started:.1f} s ({workdir})")
    clear_faults()
    cache.clear()

    server = subprocess.Popen(  # noqa: S603 (our own manage.py)
        [*manage, "runserver", f"127.0.0.1:{port}", "--noreload"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/health/live")
        credentials = OnenceCredentials(
            base_url=f"http://127.0.0.1:{port}/sim/1nce/management-api",
            client_id=settings.ONENCE_CLIENT_ID,
            client_secret=settings.ONENCE_CLIENT_SECRET,
        )
        rate = settings.ONENCE_RATE_LIMIT_PER_SECOND
        runs = [("limited", rate, True)]
        if args.unlimited:
            runs += [("no client limiter", 10_000.0, True), ("no limits at all", 10_000.0, False)]
        for name, run_rate, enforced in runs:
            clear_faults()
            if not enforced:
                set_faults(enforce_rate_limit=False)
            client = OnenceClient(credentials, rate_per_second=run_rate)
            retries_before = retries_429(REGISTRY)
            client.auth.token()  # the token call is not part of the walk
            started = time.monotonic()
            sims = client.list_sims(page_size=args.page_size)
            elapsed = time.monotonic() - started
            pages = -(-len(sims) // args.page_size)
            print(
                f"[{name}] listed {len(sims)} SIMs in {pages} pages: {elapsed:.2f} s wall, "
                f"{retries_429(REGISTRY) - retries_before:.0f} retries after 429"
            )
            if name == "limited":
                floor = pages / rate
                print(
                    f"[{name}] floor at {rate:g} requests/s: {floor:.2f} s; "
                    f"wall / floor = {elapsed / floor:.3f} "
                    f"({elapsed / pages * 1000:.1f} ms per page)"
                )
            client.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
