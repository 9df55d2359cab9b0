"""Waiting for another process: a worker's pool, the simulator finishing a call it held.

Time a test controls moves with the injectable clock (the ``clock`` fixture, time_machine);
what another process does can only be polled for, with a bound and a message saying what
never happened.
"""

import time


def wait_for(condition, *, timeout: float, what: str, interval: float = 0.1):
    """Poll ``condition()`` until it answers something truthy, and return that; an
    ``AssertionError`` naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(interval)
    return value
