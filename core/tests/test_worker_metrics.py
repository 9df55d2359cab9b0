"""The worker's Prometheus metrics: task runs counted by name and outcome with their runtime
(in every process, eager runs included), and a real worker serving them, with its queue
lengths, on ``WORKER_METRICS_PORT``."""

import os
import signal
import socket
import subprocess
import tempfile
import urllib.request

import pytest
from celery import shared_task
from celery.exceptions import Retry
from prometheus_client import REGISTRY

from config.worker_metrics import QueueLengths, start_worker_metrics
from core.tasks import cleanup
from core.tests.waiting import wait_for


@shared_task(name="core.tests.test_worker_metrics.boom")
def boom():
    raise RuntimeError("boom")


@shared_task(name="core.tests.test_worker_metrics.flaky", autoretry_for=(ValueError,))
def flaky():
    raise ValueError("hiccup")


def sample(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def counts(task: str) -> dict[str, float]:
    return {
        "started": sample("fleetops_celery_tasks_started_total", task=task),
        **{
            outcome: sample("fleetops_celery_tasks_total", task=task, outcome=outcome)
            for outcome in ("succeeded", "failed", "retried")
        },
        "timed": sample("fleetops_celery_task_duration_seconds_count", task=task),
    }


@pytest.mark.django_db
def test_a_task_run_is_counted_with_its_runtime():
    before = counts(cleanup.name)
    cleanup.delay()
    after = counts(cleanup.name)
    assert {key: after[key] - before[key] for key in after} == {
        "started": 1,
        "succeeded": 1,
        "failed": 0,
        "retried": 0,
        "timed": 1,
    }


def test_failures_and_retries_are_counted_apart():
    failed, retried = counts(boom.name)["failed"], counts(flaky.name)["retried"]
    with pytest.raises(RuntimeError):
        boom.delay()
    with pytest.raises(Retry):
        flaky.delay()
    assert counts(boom.name)["failed"] == failed + 1
    assert counts(flaky.name)["retried"] == retried + 1
    assert counts(flaky.name)["succeeded"] == 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as answer:
        return answer.read().decode()


def scraped_with(port: int, line: str) -> str | None:
    """The worker's metrics once they hold ``line`` (None before, or while it cannot answer)."""
    try:
        text = scrape(port)
    except OSError:
        return None
    return text if line in text else None


@pytest.mark.django_db(transaction=True)
def test_a_prefork_worker_serves_its_task_counts_and_queue_lengths(worker_process):
    port = free_port()
    worker = worker_process("prefork", WORKER_METRICS_PORT=port)
    try:
        queue_length = 'fleetops_celery_queue_length{queue="celery"} '
        wait_for(lambda: scraped_with(port, queue_length), timeout=60, what=queue_length)

        cleanup.delay()  # published to the broker (not eager): the worker's pool runs it

        succeeded = f'fleetops_celery_tasks_total{{outcome="succeeded",task="{cleanup.name}"}} 1.0'
        text = wait_for(lambda: scraped_with(port, succeeded), timeout=60, what=succeeded)
        assert f'fleetops_celery_tasks_started_total{{task="{cleanup.name}"}} 1.0' in text
        assert f'fleetops_celery_task_duration_seconds_count{{task="{cleanup.name}"}} 1.0' in text
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)


def queue_lengths(app, queues) -> dict[str, float]:
    [family] = QueueLengths(app, queues).collect()
    return {sample.labels["queue"]: sample.value for sample in family.samples}


@pytest.mark.django_db
def test_queue_lengths_count_what_waits_and_nothing_for_a_queue_never_used(celery_broker):
    from config.celery import app

    cleanup.delay()
    cleanup.delay()
    assert queue_lengths(app, ["celery", "never-used"]) == {"celery": 2, "never-used": 0}


def test_a_taken_port_leaves_the_worker_without_metrics_and_no_directory_behind(tmp_path):
    from config.celery import app

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        before = set(os.listdir(tempfile.gettempdir()))
        assert (
            start_worker_metrics(app=app, queues=["celery"], port=port, address="127.0.0.1") is None
        )
    left = {n for n in set(os.listdir(tempfile.gettempdir())) - before if "worker-metrics" in n}
    assert left == set()
