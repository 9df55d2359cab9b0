"""No upstream call is made inside a database transaction.

A transaction held open across an HTTP call holds its row locks (PostgreSQL) or the whole
database's write lock (SQLite, in embedded mode) for as long as the upstream takes, retries
and backoff included, and in embedded mode the simulators answering that call write to the same
database: they wait for the lock the caller holds, and both time out. Call the upstream first,
then write what it answered in a short transaction.

``UPSTREAM_IN_TRANSACTION`` says what a call made inside one does: ``raise`` (the tests, so a
new one fails its test) or ``log`` (an ``upstream_call_in_transaction`` warning). The
transactions Django's ``TestCase`` wraps each test in are not counted, nor those open when an
eager Celery task (the tests' broker) started: a worker would run it outside its caller's.
"""

import threading

import structlog
from django.conf import settings
from django.db import connections

logger = structlog.get_logger(__name__)
_set_aside = threading.local()


class UpstreamCallInTransaction(RuntimeError):
    """An upstream call was made while a database transaction was open."""


def _open_blocks() -> list:
    return [
        block
        for connection in connections.all(initialized_only=True)
        for block in connection.atomic_blocks
        if not block._from_testcase
    ]


def _outer() -> list:
    if not hasattr(_set_aside, "stack"):
        _set_aside.stack = [[]]
    return _set_aside.stack


def set_aside_open_transactions() -> None:
    """The transactions open now belong to another unit of work (an eager task's caller): not
    counted until :func:`take_back_open_transactions`. Calls nest."""
    _outer().append(_open_blocks())


def take_back_open_transactions() -> None:
    if len(_outer()) > 1:
        _outer().pop()


def in_transaction() -> bool:
    """Whether this thread has an ``atomic`` block of its own unit of work open on any database."""
    outer = _outer()[-1]
    return any(all(block is not mine for mine in outer) for block in _open_blocks())


def check_outside_transaction(upstream: str, operation: str) -> None:
    if not in_transaction():
        return
    if settings.UPSTREAM_IN_TRANSACTION == "raise":
        raise UpstreamCallInTransaction(
            f"{upstream} {operation} called inside a database transaction: call the upstream "
            "first, then write what it answered."
        )
    logger.warning("upstream_call_in_transaction", upstream=upstream, operation=operation)
