"""Django's PostgreSQL backend (``ENGINE = "core.postgresql"``), its health check spaced out.

With ``CONN_HEALTH_CHECKS`` Django sends ``SELECT 1`` before the first query of every request
that reuses a connection: one more round trip on every request that reads the database. Here,
as PgBouncer does with ``server_check_delay``, a connection opened or checked within the last
``HEALTH_CHECK_DELAY`` seconds (``DATABASE_HEALTH_CHECK_DELAY``; 0 checks every request, as
Django does) is used without a check. A connection that dies in between fails its statement,
which the API answers 503 ``SERVICE_UNAVAILABLE``, and Django closes it when that request ends
(it checks any connection an error occurred on), so the next request connects afresh.
"""

import time

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    checked_at = float("-inf")  # monotonic time the connection was last opened or checked

    def connect(self):
        super().connect()
        self.checked_at = time.monotonic()

    def close_if_health_check_failed(self):
        if (
            self.connection is not None
            and self.health_check_enabled
            and not self.health_check_done
            and time.monotonic() - self.checked_at < self.settings_dict.get("HEALTH_CHECK_DELAY", 0)
        ):
            self.health_check_done = True
            return
        checking = not self.health_check_done
        super().close_if_health_check_failed()
        if checking and self.connection is not None:
            self.checked_at = time.monotonic()
