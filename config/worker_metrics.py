"""Prometheus metrics of the Celery worker, where most 1NCE traffic runs.

Every process counts its tasks (started; succeeded, failed or retried; runtime) from Celery's
signals, and its upstream calls in ``upstream.metrics``. The web exports them on ``/metrics``
(eager runs included); a worker started with ``WORKER_METRICS_PORT`` serves them itself, with
the broker's queue lengths read at each scrape.

A prefork worker runs its tasks in pool processes, so its metrics use prometheus_client's
multiprocess mode: when the worker starts, before its pool forks, counters switch to files in
a fresh directory (``PROMETHEUS_MULTIPROC_DIR``) that every pool process writes and the
worker's HTTP server adds up. Labelled metrics (all of ours) create their values on first use,
in the pool processes, so they all land there.
"""

import os
import shutil
import sys
import tempfile
import threading
import time

import structlog
from celery.exceptions import Retry
from kombu.exceptions import ChannelError
from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server, values
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

logger = structlog.get_logger(__name__)

TASKS_STARTED = Counter(
    "fleetops_celery_tasks_started", "Celery task runs started, by task name.", ["task"]
)
TASKS_FINISHED = Counter(
    "fleetops_celery_tasks",
    "Celery task runs finished, by task name and outcome (succeeded, failed, retried).",
    ["task", "outcome"],
)
TASK_SECONDS = Histogram(
    "fleetops_celery_task_duration_seconds",
    "Runtime of Celery task runs, by task name.",
    ["task"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800),
)

# task_id -> monotonic start times (a stack: an eager retry runs the same id inside the first).
_started: dict[str, list[float]] = {}
_started_lock = threading.Lock()


def task_started(task_id=None, task=None, **kwargs):
    if task is None or task_id is None:
        return
    TASKS_STARTED.labels(task.name).inc()
    with _started_lock:
        _started.setdefault(task_id, []).append(time.monotonic())


def task_finished(task_id=None, task=None, retval=None, state=None, **kwargs):
    if task is None or task_id is None:
        return
    with _started_lock:
        stack = _started.get(task_id)
        started = stack.pop() if stack else None
        if stack == []:
            del _started[task_id]
    # An eager run that raises sends no state; its exception is still in flight here.
    if state == "RETRY" or isinstance(retval, Retry) or isinstance(sys.exc_info()[1], Retry):
        outcome = "retried"
    elif state == "SUCCESS":
        outcome = "succeeded"
    else:
        outcome = "failed"
    TASKS_FINISHED.labels(task.name, outcome).inc()
    if started is not None:
        TASK_SECONDS.labels(task.name).observe(time.monotonic() - started)


class QueueLengths:
    """``fleetops_celery_queue_length``: messages waiting in each queue the worker consumes,
    asked of the broker at each scrape (a broker that does not answer gives no sample)."""

    def __init__(self, app, queues):
        self.app = app
        self.queues = list(queues)

    def collect(self):
        family = GaugeMetricFamily(
            "fleetops_celery_queue_length", "Messages waiting in a Celery queue.", labels=["queue"]
        )
        try:
            with self.app.connection_for_read() as connection:
                channel = connection.default_channel
                for queue in self.queues:
                    family.add_metric([queue], self._waiting(channel, queue))
        except Exception as exc:  # the scrape still answers the task metrics
            logger.warning("queue_length_unknown", error=str(exc))
        yield family

    @staticmethod
    def _waiting(channel, queue: str) -> int:
        try:
            return channel.queue_declare(queue=queue, passive=True).message_count
        except ChannelError:  # not declared yet (nothing ever sent to it): nothing waits
            return 0


class WorkerMetricsServer:
    """The worker's metrics endpoint: multiprocess counters plus queue lengths."""

    def __init__(self, *, app, queues, port: int, address: str):
        given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        self.directory = given or tempfile.mkdtemp(prefix="fleetops-worker-metrics-")
        self.own_directory = not given
        self.registry = CollectorRegistry()
        MultiProcessCollector(self.registry, path=self.directory)
        self.registry.register(QueueLengths(app, queues))
        try:
            self.server, self.thread = start_http_server(port, addr=address, registry=self.registry)
        except OSError:
            self._remove_directory()
            raise
        # From now on every labelled value is created in the directory, by this process and
        # by the pool processes it forks (they inherit the environment).
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = self.directory
        values.ValueClass = values.MultiProcessValue()
        logger.info("worker_metrics_serving", address=address, port=self.port)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._remove_directory()

    def _remove_directory(self) -> None:
        if self.own_directory:
            shutil.rmtree(self.directory, ignore_errors=True)


def start_worker_metrics(*, app, queues, port: int, address: str) -> WorkerMetricsServer | None:
    """Serve the worker's metrics on ``address:port``; None (logged) when the port is taken:
    a worker without its metrics still works."""
    try:
        return WorkerMetricsServer(app=app, queues=queues, port=port, address=address)
    except OSError as exc:
        logger.warning("worker_metrics_not_served", address=address, port=port, error=str(exc))
        return None
