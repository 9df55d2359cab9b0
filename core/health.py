"""Readiness checks: each dependency answers within ``HEALTH_CHECK_TIMEOUT`` or is unhealthy."""

import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

import requests
import structlog
from django.conf import settings
from django.core.cache import cache
from django.db import connection

logger = structlog.get_logger(__name__)


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_cache() -> None:
    key = f"health:{uuid.uuid4().hex}"
    cache.set(key, "ok", timeout=5)
    if cache.get(key) != "ok":
        raise RuntimeError("cache did not return the value just written")
    cache.delete(key)


def check_broker() -> None:
    from config.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=0, timeout=settings.HEALTH_CHECK_TIMEOUT)


def upstream_checks() -> dict[str, Callable[[], None]]:
    """One reachability probe per configured upstream base URL (any HTTP answer is 'up')."""
    checks = {}
    for name, setting in (("once_api", "ONENCE_BASE_URL"), ("pmnl_api", "PMNL_BASE_URL")):
        url = getattr(settings, setting, "")
        if url and not settings.SIMULATORS_ENABLED:
            checks[name] = lambda url=url: requests.head(
                url, timeout=settings.HEALTH_CHECK_TIMEOUT, allow_redirects=False
            )
    return checks


def readiness_checks() -> dict[str, Callable[[], None]]:
    return {
        "database": check_database,
        "redis" if settings.REDIS_URL else "cache": check_cache,
        "broker": check_broker,
        **upstream_checks(),
    }


def run_checks(checks: dict[str, Callable[[], None]]) -> dict[str, str]:
    """Run the checks side by side; each gets the configured timeout, together too."""
    results = {}
    timeout = settings.HEALTH_CHECK_TIMEOUT
    pool = ThreadPoolExecutor(max_workers=len(checks), thread_name_prefix="health")
    try:
        futures = {name: pool.submit(_run_one, check) for name, check in checks.items()}
        for name, future in futures.items():
            try:
                error = future.result(timeout=timeout)
            except FutureTimeout:
                error = f"no answer within {timeout}s"
            results[name] = "healthy" if error is None else "unhealthy"
            if error is not None:
                logger.warning("health_check_failed", check=name, error=error)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    return results


def _run_one(check: Callable[[], None]) -> str | None:
    try:
        check()
    except Exception as exc:  # any failure means unhealthy; the reason goes to the log only
        return f"{type(exc).__name__}: {exc}"
    finally:
        connection.close()  # this thread's own connection; the thread ends here
    return None
