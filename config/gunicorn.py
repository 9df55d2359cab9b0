"""gunicorn configuration for the web process (``gunicorn -c config/gunicorn.py``).

Used by the Dockerfile and docker-compose.yml, and the one place the worker timeout is set
(``GUNICORN_TIMEOUT``; the settings read it from here to keep ``REQUEST_DEADLINE_SECONDS``
under it). Every setting can still be overridden by ``GUNICORN_CMD_ARGS``.

With ``PROMETHEUS_MULTIPROC_DIR`` set (docker-compose.yml), ``/metrics`` adds up every
worker's counters from files there: the directory is emptied when gunicorn starts and a dead
worker's live gauges are dropped.

Its point beyond the defaults: gunicorn's own log lines (the access
log and the error log, which quotes the URL of a failed request) never carry a secret, by the
same ``core.logging.redact_query`` our structured lines use. API keys may come as
``?api_key=``, so a raw request line is a leak.
"""

import gc
import logging
import os
import shutil

from gunicorn.glogging import Logger

from core.logging import REDACTED, is_secret_name, redact_query

wsgi_app = "config.wsgi:application"
bind = "0.0.0.0:8000"  # the container's port; GUNICORN_CMD_ARGS="--bind ..." to change it
# An empty value counts as unset, as in the settings (a .env copied from .env.example).
workers = int(os.environ.get("WEB_CONCURRENCY") or 3)
timeout = int(os.environ.get("GUNICORN_TIMEOUT") or 60)
# Threaded workers keep a client's connection open between requests (sync workers close it
# after every answer, so each request pays a new TCP connection); a slow request holds one
# thread, not the whole worker. Two threads, not more: every wait on PostgreSQL or Redis hands
# the GIL to another thread and back, and with four threads that cost a SIM list page about
# 10 % more CPU (bench/cold_path.py). More concurrency comes from more workers
# (WEB_CONCURRENCY); GUNICORN_THREADS for endpoints that wait long on upstreams.
worker_class = os.environ.get("GUNICORN_WORKER_CLASS") or "gthread"
threads = int(os.environ.get("GUNICORN_THREADS") or 2)
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE") or 5)
accesslog = "-"
errorlog = "-"


def on_starting(server):
    """Start the multi-process metrics from an empty directory (counters of an earlier run
    would otherwise add up with this one's)."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        shutil.rmtree(directory, ignore_errors=True)
        os.makedirs(directory, exist_ok=True)


# The cyclic collector's thresholds in a worker (``gc.set_threshold``): Python's first one,
# 700 new container objects, runs a collection a few times in every list page (a dict a row),
# about 3 % of its CPU; refcounting frees all but cycles at once, so a larger first threshold
# only lets cycles wait a little longer.
gc_threshold = tuple(
    int(part) for part in (os.environ.get("GUNICORN_GC_THRESHOLD") or "50000,20,100").split(",")
)


def post_worker_init(worker):
    """The app is loaded, and its objects (modules, URL patterns, read plans) live as long as
    the worker: the cyclic collector stops walking them (``gc.freeze``), so a full collection
    costs what requests leave behind, not the whole app, every few thousand requests; and it
    runs at ``gc_threshold``."""
    gc.freeze()
    gc.set_threshold(*gc_threshold)


def child_exit(server, worker):
    """A dead worker's live gauges leave /metrics with it."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def _atom_name(atom: str) -> str | None:
    """``{x-api-key}i`` -> ``x-api-key``; ``{http_authorization}e`` -> ``authorization``."""
    if not (atom.startswith("{") and atom[-2:] in {"}i", "}o", "}e"}):
        return None
    return atom[1:-2].removeprefix("http_")


class RedactingFilter(logging.Filter):
    """Rewrites a record's message with secret query parameters redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, dict):  # the access log: atoms, redacted already
            return True
        message = record.getMessage()
        redacted = redact_query(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


class RedactingLogger(Logger):
    """gunicorn's logger with secrets taken out of every access-log atom and error line:
    query strings (``r``, ``q``, ``f``, ``{raw_uri}e``, ...) lose their secret parameters and
    secret headers (``{authorization}i``, ``{x-api-key}i``, ``{cookie}i``) are blanked, so any
    ``access_log_format`` is safe."""

    _filter = RedactingFilter()

    def setup(self, cfg):
        super().setup(cfg)
        self.error_log.addFilter(self._filter)

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for atom, value in atoms.items():
            name = _atom_name(atom)
            if name is not None and is_secret_name(name):
                atoms[atom] = REDACTED
            elif isinstance(value, str):
                atoms[atom] = redact_query(value)
        return atoms


logger_class = RedactingLogger
