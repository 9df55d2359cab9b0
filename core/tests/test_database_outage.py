"""PostgreSQL refused, hanging or too slow: bounded waits and a 503 envelope, never a 500.

Each case runs FleetOps in a subprocess configured against the broken server, so the test
database of this run is never touched.
"""

import json
import os
import subprocess
import sys
import textwrap
import time

import pytest
from django.conf import settings
from django.db import connection

from core.tests.test_health import Blackhole

pytestmark = pytest.mark.django_db

API_CALL = """
import django, json, time
django.setup()
from django.test import Client
started = time.monotonic()
response = Client().get("/api/v1/sims", HTTP_X_API_KEY="sk_live_abcdefgh.secret")
print(json.dumps({"status": response.status_code, "body": response.json(),
                  "elapsed": time.monotonic() - started}))
"""


def run_fleetops(code: str, **env: str) -> dict:
    """Run ``code`` in a new FleetOps process with ``env`` on top of ours; its JSON output."""
    result = subprocess.run(  # noqa: S603 (our own interpreter and code)
        [sys.executable, "-c", textwrap.dedent(code)],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=settings.BASE_DIR,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def database_url(*, host: str | None = None, port: int | None = None) -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{host or db['HOST']}:{port or db['PORT']}/{db['NAME']}"


def test_connections_carry_the_statement_timeout():
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        shown = cursor.fetchone()[0]
    assert shown == "30s"  # DATABASE_STATEMENT_TIMEOUT's default


def test_a_statement_past_the_statement_timeout_is_cancelled():
    out = run_fleetops(
        """
        import django, json, time
        django.setup()
        from django.db import OperationalError, connection
        started = time.monotonic()
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_sleep(10)")
            outcome = "finished"
        except OperationalError as exc:
            outcome = type(exc.__cause__).__name__
        print(json.dumps({"outcome": outcome, "elapsed": time.monotonic() - started}))
        """,
        DATABASE_URL=database_url(),
        DATABASE_STATEMENT_TIMEOUT="1",
    )
    assert out["outcome"] == "QueryCanceled"
    assert out["elapsed"] < 3


def test_refused_database_answers_503_in_the_envelope():
    out = run_fleetops(API_CALL, DATABASE_URL=database_url(host="127.0.0.1", port=1))
    assert out["status"] == 503, out
    assert out["body"]["success"] is False
    assert out["body"]["error"]["code"] == "SERVICE_UNAVAILABLE"
    assert out["body"]["error"]["details"] == {"dependency": "database"}


def test_hanging_database_answers_503_after_the_connect_timeout():
    hole = Blackhole()
    try:
        started = time.monotonic()
        out = run_fleetops(
            API_CALL,
            DATABASE_URL=database_url(host="127.0.0.1", port=hole.port),
            DATABASE_CONNECT_TIMEOUT="2",
        )
        elapsed = time.monotonic() - started
    finally:
        hole.close()
    assert out["status"] == 503, out
    assert out["body"]["error"]["code"] == "SERVICE_UNAVAILABLE"
    assert out["elapsed"] < 5 and elapsed < 20
