"""A deadline shared by every upstream call of one unit of work, such as one API request.

The web layer opens one per request (``core.middleware.RequestDeadlineMiddleware``,
``REQUEST_DEADLINE_SECONDS``) so that a hanging upstream cannot hold a request past the
server's own timeout; Celery tasks and commands open none, and their calls keep only their
per-call timeouts. ``UpstreamTransport`` honours it: no attempt or retry starts once it has
passed, and each attempt's timeouts are capped by the time left.

Plain Python (a context variable), so ``upstream/`` stays free of Django apps.
"""

import contextlib
import contextvars
import time
from collections.abc import Iterator

_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "upstream_deadline", default=None
)


def remaining() -> float | None:
    """Seconds left before the current deadline (0 or less once passed); None without one."""
    at = _deadline.get()
    return None if at is None else at - time.monotonic()


@contextlib.contextmanager
def deadline(seconds: float | None) -> Iterator[None]:
    """Bound the upstream calls made inside the block to ``seconds`` from now.

    ``None`` or 0 adds no bound. Nested deadlines never extend an enclosing one: the earlier
    of the two holds.
    """
    if not seconds:
        yield
        return
    at = time.monotonic() + seconds
    current = _deadline.get()
    token = _deadline.set(at if current is None else min(at, current))
    try:
        yield
    finally:
        _deadline.reset(token)
