"""A lock shared by every process through the Django cache (one token refresh at a time).

With Redis it is redis-py's lock (``SET NX PX`` plus a token checked on release). Without Redis
(embedded dev on a file cache) it is ``cache.add`` based and best-effort.
"""

import contextlib
import time
import uuid

from django.core.cache import BaseCache, caches
from django_redis.cache import RedisCache
from redis.exceptions import LockError

_POLL_SECONDS = 0.05


class CacheLock:
    """A named lock that expires after ``timeout`` seconds, so a crashed holder cannot block."""

    def __init__(self, key: str, *, timeout: float, cache: BaseCache | None = None):
        self.key = key
        self.timeout = timeout
        self.cache = cache if cache is not None else caches["default"]
        self._redis_lock = None
        self._token: str | None = None

    def acquire(self, *, blocking: bool = True, blocking_timeout: float | None = None) -> bool:
        """Take the lock; with ``blocking`` wait up to ``blocking_timeout`` seconds for it."""
        if isinstance(self.cache, RedisCache):
            self._redis_lock = self.cache.lock(self.key, timeout=self.timeout, thread_local=False)
            return bool(
                self._redis_lock.acquire(blocking=blocking, blocking_timeout=blocking_timeout)
            )
        token = uuid.uuid4().hex
        deadline = time.monotonic() + (blocking_timeout or 0)
        while not self.cache.add(self.key, token, timeout=self.timeout):
            if not blocking or (blocking_timeout is not None and time.monotonic() >= deadline):
                return False
            time.sleep(_POLL_SECONDS)
        self._token = token
        return True

    def release(self) -> None:
        if self._redis_lock is not None:
            # If it expired, someone else may hold it now: there is nothing of ours to release.
            with contextlib.suppress(LockError):
                self._redis_lock.release()
            self._redis_lock = None
        elif self._token is not None:
            if self.cache.get(self.key) == self._token:
                self.cache.delete(self.key)
            self._token = None
