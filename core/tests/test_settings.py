"""Production settings refuse unsafe configurations at start-up."""

import subprocess

import pytest

from core.tests.settings_probe import ROOT, printed, run_settings


def start_settings(**env) -> subprocess.CompletedProcess:
    return run_settings(drop=("SECRET_KEY", "DEBUG"), **env)


def test_production_refuses_to_start_without_secret_key():
    result = start_settings(FLEETOPS_ENV="production")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_to_start_with_debug_on():
    result = start_settings(FLEETOPS_ENV="production", SECRET_KEY="x" * 50, DEBUG="true")
    assert result.returncode != 0
    assert "DEBUG must be off" in result.stderr


def test_production_starts_with_secret_key_and_debug_off():
    result = start_settings(FLEETOPS_ENV="production", SECRET_KEY="x" * 50, DEBUG="false")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "sqlite3 FileBasedCache filesystem True"),
        (
            {
                "DATABASE_URL": "postgres://u@db:5432/f",
                "REDIS_URL": "redis://r:6379/0",
                "CELERY_BROKER_URL": "redis://r:6379/1",
            },
            "postgresql RedisCache redis True",
        ),
    ],
)
def test_embedded_defaults_and_server_settings(env, expected):
    code = (
        "from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE'].rsplit('.', 1)[1], "
        "s.CACHES['default']['BACKEND'].rsplit('.', 1)[1], "
        "s.CELERY_BROKER_URL.split(':')[0], s.SIMULATORS_ENABLED)"
    )
    drop = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "FLEETOPS_ENV")
    assert printed(code, drop=drop, **env) == expected


def settings_values(names: str, **env) -> str:
    """The repr of the named settings as a subprocess with ``env`` loads them."""
    code = (
        "from django.conf import settings as s; "
        f"print(repr([getattr(s, n, None) for n in {names.split()!r}]))"
    )
    return printed(code, drop=("SECURE_", "FLEETOPS_", "SECRET_KEY", "DEBUG"), **env)


TRANSPORT = (
    "SECURE_HSTS_SECONDS SECURE_HSTS_INCLUDE_SUBDOMAINS SECURE_HSTS_PRELOAD "
    "SECURE_SSL_REDIRECT SECURE_PROXY_SSL_HEADER SESSION_COOKIE_SECURE"
)


def test_production_sends_hsts_and_redirects_to_https_by_default():
    values = settings_values(TRANSPORT, FLEETOPS_ENV="production", SECRET_KEY="x" * 50)
    assert values == "[31536000, False, False, True, None, True]"


def test_production_transport_security_is_configurable():
    values = settings_values(
        TRANSPORT,
        FLEETOPS_ENV="production",
        SECRET_KEY="x" * 50,
        SECURE_HSTS_SECONDS="600",
        SECURE_HSTS_INCLUDE_SUBDOMAINS="true",
        SECURE_HSTS_PRELOAD="true",
        SECURE_SSL_REDIRECT="true",
        SECURE_PROXY_SSL_HEADER="true",
    )
    assert values == "[600, True, True, True, ('HTTP_X_FORWARDED_PROTO', 'https'), True]"


def test_development_sends_no_hsts():
    assert settings_values("SECURE_HSTS_SECONDS", FLEETOPS_ENV="development") == "[0]"


def test_broker_redelivers_a_crashed_workers_task_soon_after_the_longest_task_could_end():
    """A whole-worker crash stalls its task for the broker's visibility timeout (an hour by
    default): it is set just above the hard time limit, and follows it."""
    code = (
        "from config.celery import app; "
        "print(app.conf.broker_transport_options['visibility_timeout'], "
        "app.conf.task_time_limit)"
    )
    for limit in ("1800", "600"):
        line = printed(code, CELERY_BROKER_URL="redis://r:6379/1", CELERY_TASK_TIME_LIMIT=limit)
        visibility, hard_limit = map(int, line.split())
        assert hard_limit == int(limit)
        assert hard_limit < visibility <= hard_limit + 120


def example_env() -> dict[str, str]:
    """The variables of ``.env.example`` as a newcomer's ``cp .env.example .env`` sets them."""
    pairs = (
        line.split("=", 1)
        for line in (ROOT / ".env.example").read_text().splitlines()
        if "=" in line and not line.lstrip().startswith("#")
    )
    return {name.strip(): value.strip() for name, value in pairs}


@pytest.mark.parametrize(
    ("mode", "extra", "expected"),
    [
        ("development", {}, "['django.db.backends.sqlite3', 'console', True]"),
        (
            "production",
            {"SECRET_KEY": "x" * 50, "ALLOWED_HOSTS": "fleetops.example"},
            "['django.db.backends.sqlite3', 'json', True]",
        ),
    ],
)
def test_a_env_copied_from_the_example_keeps_every_default(mode, extra, expected):
    """Seen by a newcomer: every empty value of the example overrode its default (no database
    engine, no static root, no JSON logs)."""
    code = (
        "from django.conf import settings as s; "
        "print(repr([s.DATABASES['default']['ENGINE'], s.LOG_FORMAT, bool(s.STATIC_ROOT)]))"
    )
    env = {**example_env(), "FLEETOPS_ENV": mode, **extra}
    assert printed(code, drop=("FLEETOPS_", "DATABASE_"), **env) == expected


def test_the_embedded_database_lets_readers_through_while_a_transaction_writes(tmp_path):
    """make run's web, worker and beat share one SQLite file: it writes ahead (WAL), so a
    reader is answered at once while another connection holds the write lock."""
    code = (
        "import sqlite3; from django.db import connection as c; "
        "c.ensure_connection(); mode = c.cursor().execute('PRAGMA journal_mode').fetchone()[0]; "
        "c.cursor().execute('CREATE TABLE t (n integer)'); "
        "c.cursor().execute('INSERT INTO t VALUES (1)'); "
        "c.cursor().execute('BEGIN IMMEDIATE'); c.cursor().execute('INSERT INTO t VALUES (2)'); "
        "other = sqlite3.connect(c.settings_dict['NAME'], timeout=0); "
        "print(mode, other.execute('SELECT count(*) FROM t').fetchone()[0])"
    )
    database = f"sqlite:///{tmp_path / 'embedded.sqlite3'}"
    assert printed(code, DATABASE_URL=database, FLEETOPS_ENV="development") == "wal 1"
