"""The Celery application. Tasks are discovered in each app's ``tasks.py``.

Every line a task logs names the task, its id and the request that sent it (``core.logging``).
Every process counts its task runs for Prometheus (``config.worker_metrics``); a worker started
with ``WORKER_METRICS_PORT`` serves them, with its upstream calls and the queue lengths.
"""

import os

from celery import Celery, signals

from config import worker_metrics
from core import logging as fleet_logging
from upstream import transactions

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("fleetops")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Every line a task logs names the task, its id and the request that sent it.
signals.before_task_publish.connect(
    fleet_logging.send_request_id_with_task, dispatch_uid="fleetops.task_request_id"
)
signals.task_prerun.connect(fleet_logging.bind_task_context, dispatch_uid="fleetops.task_log")
signals.task_postrun.connect(fleet_logging.unbind_task_context, dispatch_uid="fleetops.task_unlog")
signals.task_prerun.connect(worker_metrics.task_started, dispatch_uid="fleetops.task_started")
signals.task_postrun.connect(worker_metrics.task_finished, dispatch_uid="fleetops.task_finished")


@signals.task_prerun.connect(dispatch_uid="fleetops.eager_task_started")
def eager_task_started(task=None, **kwargs):
    """An eager task (the tests' broker) runs inside its caller's transaction; a worker would
    not: its upstream calls are checked against its own transactions only."""
    if task is not None and task.request.is_eager:
        transactions.set_aside_open_transactions()


@signals.task_postrun.connect(dispatch_uid="fleetops.eager_task_finished")
def eager_task_finished(task=None, **kwargs):
    if task is not None and task.request.is_eager:
        transactions.take_back_open_transactions()


_metrics_server: worker_metrics.WorkerMetricsServer | None = None


@signals.worker_init.connect(dispatch_uid="fleetops.serve_worker_metrics")
def serve_worker_metrics(sender=None, **kwargs):
    """Before the pool starts: serve the worker's metrics when ``WORKER_METRICS_PORT`` is set."""
    global _metrics_server
    from django.conf import settings

    if settings.WORKER_METRICS_PORT:
        queues = sorted(app.amqp.queues) or [app.conf.task_default_queue]
        _metrics_server = worker_metrics.start_worker_metrics(
            app=app,
            queues=queues,
            port=settings.WORKER_METRICS_PORT,
            address=settings.WORKER_METRICS_ADDRESS,
        )


@signals.worker_shutdown.connect(dispatch_uid="fleetops.stop_worker_metrics")
def stop_worker_metrics(sender=None, **kwargs):
    if _metrics_server is not None:
        _metrics_server.stop()
