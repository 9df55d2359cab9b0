"""Parallel test processes (pytest-xdist) never share Redis: each uses the databases
``conftest.py`` derives from its worker id, for the cache and for the broker alike."""

import os
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache

from config.celery import app
from conftest import redis_url_for_worker


def database(url: str) -> int:
    return int(urlsplit(url).path.strip("/") or 0)


def test_each_worker_gets_two_databases_of_its_own():
    assert redis_url_for_worker("redis://127.0.0.1:6384/1", 0) == "redis://127.0.0.1:6384/1"
    assert redis_url_for_worker("redis://127.0.0.1:6384/1", 1) == "redis://127.0.0.1:6384/3"
    assert redis_url_for_worker("redis://r:6379/14", 1) == "redis://r:6379/0"  # wraps at 16
    urls = {redis_url_for_worker(f"redis://r/{db}", i) for db in (14, 15) for i in range(4)}
    assert len(urls) == 8


def test_this_process_uses_the_databases_it_was_given():
    client = cache.client.get_client()
    assert client.connection_pool.connection_kwargs["db"] == database(settings.REDIS_URL)
    assert settings.CACHES["default"]["LOCATION"] == settings.REDIS_URL == os.environ["REDIS_URL"]
    # Celery reads the environment first; both agree, and subprocesses inherit it.
    assert app.conf.broker_url == settings.CELERY_BROKER_URL == os.environ["CELERY_BROKER_URL"]
