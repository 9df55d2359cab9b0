"""A lock that lives only as long as its holder: a short TTL renewed by a heartbeat thread.

A lock with a long fixed expiry (say, a run's whole schedule) outlives a crashed holder by
most of that time and blocks every run in between. Here the lock expires ``ttl`` seconds
after the last heartbeat; a live holder renews it every ``ttl / 3`` seconds from a daemon
thread, so a long run keeps it however long it lasts, and a process killed with SIGKILL
loses it within ``ttl``. If a renewal finds the lock gone (Redis lost it, or the holder was
paused past its TTL), :attr:`HeartbeatLock.lost` turns true: the holder should stop at its
next safe point, since another process may now hold the lock.

With Redis it is redis-py's lock (``SET NX PX`` with a token; renewal resets the TTL only
while the token is ours). With another cache (embedded dev) it is ``cache.add`` based and
best-effort.
"""

import contextlib
import threading
import uuid

import structlog
from django.core.cache import BaseCache, caches
from django_redis.cache import RedisCache
from redis.exceptions import LockError, RedisError

logger = structlog.get_logger(__name__)


class HeartbeatLock:
    """A named lock held while its holder lives. Use as a context manager or with
    :meth:`acquire` / :meth:`release`."""

    def __init__(self, key: str, *, ttl: float, cache: BaseCache | None = None):
        self.key = key
        self.ttl = ttl
        self.cache = cache if cache is not None else caches["default"]
        self.lost = False
        self._redis_lock = None
        self._token: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def acquire(self) -> bool:
        """Take the lock if free (never waits); start the heartbeat. False if it is held."""
        if isinstance(self.cache, RedisCache):
            lock = self.cache.lock(self.key, timeout=self.ttl, thread_local=False)
            if not lock.acquire(blocking=False):
                return False
            self._redis_lock = lock
        else:
            token = uuid.uuid4().hex
            if not self.cache.add(self.key, token, timeout=self.ttl):
                return False
            self._token = token
        self.lost = False
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._beat, name=f"heartbeat:{self.key}", daemon=True
        )
        self._thread.start()
        return True

    def release(self) -> None:
        """Stop the heartbeat and free the lock if it is still ours."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.ttl)
            self._thread = None
        if self._redis_lock is not None:
            # If it expired, someone else may hold it now: there is nothing of ours to release.
            with contextlib.suppress(LockError, RedisError):
                self._redis_lock.release()
            self._redis_lock = None
        elif self._token is not None:
            if self.cache.get(self.key) == self._token:
                self.cache.delete(self.key)
            self._token = None

    def _beat(self) -> None:
        while not self._stop.wait(self.ttl / 3):
            if not self._renew():
                self.lost = True
                logger.warning("heartbeat_lock_lost", key=self.key)
                return

    def _renew(self) -> bool:
        try:
            if self._redis_lock is not None:
                self._redis_lock.reacquire()
                return True
            if self.cache.get(self.key) != self._token:
                return False
            return bool(self.cache.touch(self.key, self.ttl))
        except LockError:
            return False
        except Exception:  # Redis briefly unreachable: try again at the next beat
            logger.warning("heartbeat_lock_renewal_failed", key=self.key, exc_info=True)
            return True

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def is_locked(key: str, *, cache: BaseCache | None = None) -> bool:
    """Whether anyone holds the lock ``key`` now."""
    cache = cache if cache is not None else caches["default"]
    return bool(cache.has_key(key))
