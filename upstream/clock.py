"""The wall clock our upstream clients read (epoch seconds), with a seam for tests.

``now()`` is ``time.time()`` plus an offset that a test moves forward (the ``clock`` fixture)
instead of sleeping through a token's lifetime. The offset is process-local: it moves what
this process believes, not the simulator's clock (``simulators.onence.clock``) nor Redis
expiries. It lives here, in the lowest layer, so that every layer above may read it.
"""

import time

_offset = 0.0


def now() -> float:
    """Epoch seconds, as our clients should see them."""
    return time.time() + _offset


def advance(seconds: float) -> None:
    """Move this process's clock forward by ``seconds`` (tests only)."""
    global _offset
    _offset += seconds


def reset() -> None:
    global _offset
    _offset = 0.0
