"""Production settings refuse unsafe configurations at start-up."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def start_settings(**env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


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
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE'].rsplit('.', 1)[1], "
        "s.CACHES['default']['BACKEND'].rsplit('.', 1)[1], "
        "s.CELERY_BROKER_URL.split(':')[0], s.SIMULATORS_ENABLED)"
    )
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "FLEETOPS_ENV"}
    }
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == expected


def test_broker_redelivers_a_crashed_workers_task_soon_after_the_longest_task_could_end():
    """A whole-worker crash stalls its task for the broker's visibility timeout (an hour by
    default): it is set just above the hard time limit, and follows it."""
    code = (
        "import django; django.setup(); from config.celery import app; "
        "print(app.conf.broker_transport_options['visibility_timeout'], "
        "app.conf.task_time_limit)"
    )
    broker = {"CELERY_BROKER_URL": "redis://r:6379/1"}
    for limit in ("1800", "600"):
        result = subprocess.run(  # noqa: S603
            [sys.executable, "-c", code],
            cwd=ROOT,
            env={**os.environ, **broker, "CELERY_TASK_TIME_LIMIT": limit},
            capture_output=True,
            text=True,
            timeout=60,
        )
        visibility, hard_limit = map(int, result.stdout.split())
        assert hard_limit == int(limit)
        assert hard_limit < visibility <= hard_limit + 120
