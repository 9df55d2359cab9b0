"""Readiness checks: each dependency answers within ``HEALTH_CHECK_TIMEOUT`` or counts as down.

Only a *required* check (the database) makes the instance not ready (503): without it nothing
works. The others (cache, broker, 1NCE) are reported as ``degraded`` and the instance stays
ready (200): reads are served from the database mirror without them, and since they are shared
by every instance, failing readiness on them would take the whole fleet out of the load
balancer for a partial outage.

Checks run on one small shared pool, at most one run of each check at a time: a probe that
finds the previous run of a check still hanging waits on that run instead of starting another,
so a hanging dependency holds one thread, not one per probe. The database is checked over a
short-lived connection of its own with a connect and a statement timeout.
"""

import copy
import math
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_for
from dataclasses import dataclass

import requests
import structlog
from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.utils import load_backend

from core.degraded import cache_get, cache_set
from upstream.deadline import deadline
from upstream.http import RetryPolicy
from upstream.onence import OnenceClient, OnenceCredentials
from upstream.onence.auth import account_key

logger = structlog.get_logger(__name__)

HEALTHY, DEGRADED, UNHEALTHY = "healthy", "degraded", "unhealthy"
ONENCE_RESULT_KEY = "health:onence:{}"


@dataclass(frozen=True)
class Check:
    name: str
    run: Callable[[], None]
    required: bool = False  # failing makes the instance not ready


def check_database() -> None:
    """``SELECT 1`` over a new connection that gives up within about the health timeout.

    A connection of its own, closed at once: the request's connection (and its transaction)
    is not touched, and a hung server cannot pin a pooled connection. libpq connects for at
    least 2 s; the probe does not wait for it (see ``run_checks``).
    """
    databases = {DEFAULT_DB_ALIAS: copy.deepcopy(settings.DATABASES[DEFAULT_DB_ALIAS])}
    params = connections.configure_settings(databases)[DEFAULT_DB_ALIAS]
    params["CONN_MAX_AGE"] = 0
    backend = load_backend(params["ENGINE"])
    if backend.DatabaseWrapper.vendor == "postgresql":
        timeout = settings.HEALTH_CHECK_TIMEOUT
        params["OPTIONS"] = {
            **params.get("OPTIONS", {}),
            "connect_timeout": max(2, math.ceil(timeout)),
            "options": f"-c statement_timeout={int(timeout * 1000)}",
        }
    wrapper = backend.DatabaseWrapper(params, "health")
    try:
        with wrapper.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    finally:
        wrapper.close()


def check_cache() -> None:
    key = f"health:{uuid.uuid4().hex}"
    cache.set(key, "ok", timeout=5)
    if cache.get(key) != "ok":
        raise RuntimeError("cache did not return the value just written")
    cache.delete(key)


def check_broker() -> None:
    # The project's app (config.celery) is Celery's current app once Django has loaded config;
    # naming it here would make core import the layer above it.
    with current_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=0, timeout=settings.HEALTH_CHECK_TIMEOUT)


_onence_clients: dict[OnenceCredentials, OnenceClient] = {}
_onence_lock = threading.Lock()


def _onence_client(credentials: OnenceCredentials) -> OnenceClient:
    with _onence_lock:
        client = _onence_clients.get(credentials)
        if client is None:
            for old in _onence_clients.values():
                old.close()
            _onence_clients.clear()
            # No retries: a probe reports what it sees; the next probe is the retry.
            client = _onence_clients[credentials] = OnenceClient(
                credentials, retry_policy=RetryPolicy(max_retries=0)
            )
        return client


def check_onence() -> None:
    """1NCE through our own client: a token and one cheap call (the product catalogue).

    The outcome is kept ``HEALTH_ONENCE_CACHE_SECONDS`` in the shared cache, so the probes of
    every instance together cost 1NCE about one call per period.
    """
    credentials = OnenceCredentials.from_settings()
    key = ONENCE_RESULT_KEY.format(account_key(credentials))
    error = cache_get(key)
    if error is None:
        try:
            with deadline(settings.HEALTH_ONENCE_TIMEOUT):
                _onence_client(credentials).list_products()
        except Exception as exc:  # any failure means degraded; the reason goes to the log
            error = f"{type(exc).__name__}: {exc}"
        else:
            error = ""
        cache_set(key, error, timeout=settings.HEALTH_ONENCE_CACHE_SECONDS)
    if error:
        raise RuntimeError(error)


def check_url(url: str) -> Callable[[], None]:
    """Reachability of an upstream we have no client for yet (any HTTP answer is 'up')."""

    def check() -> None:
        requests.head(url, timeout=settings.HEALTH_CHECK_TIMEOUT, allow_redirects=False)

    return check


def readiness_checks() -> list[Check]:
    checks = [
        Check("database", check_database, required=True),
        Check("redis" if settings.REDIS_URL else "cache", check_cache),
        Check("broker", check_broker),
    ]
    if settings.ONENCE_BASE_URL and settings.ONENCE_CLIENT_ID:
        checks.append(Check("onence", check_onence))
    pmnl_url = getattr(settings, "PMNL_BASE_URL", "")
    if pmnl_url and not settings.SIMULATORS_ENABLED:
        checks.append(Check("pmnl", check_url(pmnl_url)))
    return checks


# Sized for every check running at once; a check never has two runs (see ``run_checks``).
_pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="health")
_running: dict[str, Future] = {}
_running_lock = threading.Lock()


def run_checks(checks: list[Check]) -> dict[str, str]:
    """Run the checks side by side and answer within ``HEALTH_CHECK_TIMEOUT``.

    Each check is ``healthy``, or when it fails or has not answered in time ``unhealthy``
    (required) or ``degraded`` (optional). A check still running from an earlier probe is
    waited on, not started again.
    """
    with _running_lock:
        futures = {}
        for check in checks:
            future = _running.get(check.name)
            if future is None or future.done():
                future = _running[check.name] = _pool.submit(_run_one, check.run)
            futures[check.name] = future
    timeout = settings.HEALTH_CHECK_TIMEOUT
    wait_for(futures.values(), timeout=timeout)
    results = {}
    for check in checks:
        future = futures[check.name]
        error = future.result() if future.done() else f"no answer within {timeout:g}s"
        if error is None:
            results[check.name] = HEALTHY
            continue
        results[check.name] = UNHEALTHY if check.required else DEGRADED
        logger.warning("health_check_failed", check=check.name, error=error)
    return results


def _run_one(check: Callable[[], None]) -> str | None:
    try:
        check()
    except Exception as exc:  # any failure means down; the reason goes to the log only
        return f"{type(exc).__name__}: {exc}"
    finally:
        connections.close_all()  # this pool thread's own connections, if the check opened any
    return None
