"""The simulator's clock: wall time plus an offset that tests and demos can move forward.

The offset lives in the cache so that every process (web, worker, test runner) sees the same
simulated time; clearing the cache puts the clock back to real time.
"""

from datetime import datetime, timedelta

from django.core.cache import cache
from django.utils import timezone

_OFFSET_KEY = "onence-sim:clock-offset"


def now() -> datetime:
    """The current simulated time (aware, UTC)."""
    return timezone.now() + timedelta(seconds=cache.get(_OFFSET_KEY, 0.0))


def advance(seconds: float) -> None:
    """Move the simulated time forward by ``seconds``."""
    cache.set(_OFFSET_KEY, cache.get(_OFFSET_KEY, 0.0) + seconds, timeout=None)


def reset() -> None:
    cache.delete(_OFFSET_KEY)
