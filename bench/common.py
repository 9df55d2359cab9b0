"""Shared pieces of the HTTP benchmarks: a throwaway database, a gunicorn server and a
concurrent load driver. Benchmarks only; nothing here runs in the test suite."""

import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import psycopg
import redis
import requests

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
ADMIN_URL = os.environ.get(
    "BENCH_ADMIN_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bench_env(database: str, **extra) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "FLEETOPS_ENV": "production",
        "SECRET_KEY": "bench-only-secret-key-bench-only-secret-key",
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}",
        "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12"),
        "CELERY_BROKER_URL": "memory://",
        "SIMULATORS_ENABLED": "true",
        "RATE_LIMIT_ENABLED": "false",
        "LOG_LEVEL": "WARNING",
        "LOG_FORMAT": "json",
    }
    env.update({k: str(v) for k, v in extra.items()})
    return env


@contextmanager
def throwaway_database(name: str, *, keep: bool = False):
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        if not keep:
            with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def flush_redis(url: str) -> None:
    """Empty the bench's Redis database: a run on a fresh PostgreSQL database must not find an
    earlier run's read cache (the same organization ids, so the same keys: a path asked once in
    each of two runs is stored by the second and answered from the cache by a third)."""
    redis.Redis.from_url(url).flushdb()


def manage(env: dict, *args: str) -> str:
    result = subprocess.run(  # noqa: S603
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return result.stdout


APPLICATION = "config.wsgi:application"


@contextmanager
def served(env: dict, *options: str, health: str = "/health"):
    """gunicorn serving the app with ``options`` on a free loopback port until the block ends;
    yields its URL and the master's pid (its workers are the master's children). Unless
    ``env`` sets ``SITE_URL``, the server is its own site: the simulators it serves are its
    upstreams (a quota read live from the 1NCE simulator, say)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**env, "SITE_URL": env.get("SITE_URL") or url}
    process = subprocess.Popen(  # noqa: S603
        [
            PYTHON,
            "-m",
            "gunicorn",
            *options,
            "--bind",
            f"127.0.0.1:{port}",
            "config.wsgi:application",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(120):
            try:
                if requests.get(f"{url}{health}", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.5)
        else:
            raise RuntimeError("gunicorn did not start")
        yield url, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


@contextmanager
def gunicorn(env: dict, *, workers: int = 4, threads: int = 1):
    """The app on sync or threaded workers of the given counts; yields its URL."""
    options = ["--workers", str(workers), "--threads", str(threads)]
    with served(env, *options, "--log-level", "warning", "--timeout", "120") as (url, _):
        yield url


def load(url_for, *, headers: dict, requests_total: int, concurrency: int) -> dict:
    """Send ``requests_total`` GETs from ``concurrency`` threads; latency percentiles in ms."""
    local = threading.local()
    timings: list[float] = []
    errors = 0
    lock = threading.Lock()

    def one(i: int):
        nonlocal errors
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
            session.headers.update(headers)
        started = time.perf_counter()
        response = session.get(url_for(i), timeout=30)
        elapsed = (time.perf_counter() - started) * 1000
        with lock:
            timings.append(elapsed)
            errors += response.status_code != 200

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(one, range(requests_total)))
    wall = time.perf_counter() - started
    q = statistics.quantiles(timings, n=100)
    return {
        "rps": requests_total / wall,
        "p50": q[49],
        "p95": q[94],
        "p99": q[98],
        "errors": errors,
    }


def wrk_load(base_url: str, paths: list[str], *, headers: dict, seconds: int, concurrency: int):
    """Drive ``paths`` with wrk (C, so the load generator barely competes for the CPU); the
    same figures as :func:`load`. None when wrk is not installed."""
    if shutil.which("wrk") is None:
        return None
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
        handle.write("\n".join(paths))
    threads = str(min(2, concurrency))
    command = [
        "wrk",
        "-t",
        threads,
        "-c",
        str(concurrency),
        "-d",
        f"{seconds}s",
        "--timeout",
        "10s",
    ]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    command += ["-s", str(ROOT / "bench" / "wrk_paths.lua"), base_url, "--", handle.name, threads]
    try:
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
    finally:
        os.unlink(handle.name)
    line = next(line for line in out.splitlines() if line.startswith("WRK_JSON "))
    row = json.loads(line.removeprefix("WRK_JSON "))
    row["errors"] += row.pop("non_2xx")
    return row


def report(name: str, row: dict) -> None:
    print(
        f"{name:<34} {row['rps']:>7.0f} req/s  p50 {row['p50']:7.1f} ms  "
        f"p95 {row['p95']:7.1f} ms  p99 {row['p99']:7.1f} ms  errors {row['errors']}",
        flush=True,
    )


def wait_for_workers(broker_url: str, names: list[str], *, timeout: float = 300.0) -> float:
    """Wait until every Celery worker named (``w1`` for ``w1@host``) answers a ping; answers
    how long that took. A fixed sleep is not enough on a loaded machine: a worker that takes
    30 s to start would be measured as 30 s of latency."""
    from celery import Celery

    # Not the current app: a benchmark that publishes in-process keeps FleetOps's own.
    app = Celery(broker=broker_url, set_as_current=False)
    started = time.monotonic()
    try:
        while time.monotonic() - started < timeout:
            replies = app.control.ping(timeout=1.0) or []
            answered = {name.split("@")[0] for reply in replies for name in reply}
            if set(names) <= answered:
                return time.monotonic() - started
        raise RuntimeError(f"Celery workers {names} did not answer within {timeout:.0f} s.")
    finally:
        app.close()


def proc_cpu(pid: int) -> float:
    """User + system seconds of ``pid`` and its children still running."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for one in pids:
        try:
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total
