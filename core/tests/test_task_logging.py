"""Every line a Celery task logs names the task, its id and the request that sent it."""

from types import SimpleNamespace

import structlog
from celery import shared_task

from core import logging as fleet_logging
from core.tests.logs import log_output  # noqa: F401 (fixture)

SAY = "core.tests.test_task_logging.say"


@shared_task(name=SAY)
def say():
    structlog.get_logger("fleetops.test").info("inside_the_task")


def lines_with(text: str, output: str) -> list[str]:
    return [line for line in output.splitlines() if text in line]


def test_a_tasks_lines_name_the_task_its_id_and_the_callers_request(log_output):  # noqa: F811
    structlog.contextvars.bind_contextvars(request_id="req_caller")
    try:
        result = say.delay()
        (line,) = lines_with("inside_the_task", log_output())
        assert SAY in line and result.id in line and "req_caller" in line
        # After the task its context is gone and the caller's is as it was.
        assert structlog.contextvars.get_contextvars() == {"request_id": "req_caller"}
    finally:
        structlog.contextvars.clear_contextvars()


def test_a_task_sent_during_a_request_carries_its_id():
    structlog.contextvars.bind_contextvars(request_id="req_sender")
    try:
        headers = {}
        fleet_logging.send_request_id_with_task(headers=headers)
        assert headers == {fleet_logging.TASK_REQUEST_ID_HEADER: "req_sender"}
    finally:
        structlog.contextvars.clear_contextvars()
    nothing = {}
    fleet_logging.send_request_id_with_task(headers=nothing)
    assert nothing == {}


def test_a_worker_binds_the_request_id_the_message_carried():
    request = SimpleNamespace(**{fleet_logging.TASK_REQUEST_ID_HEADER: "req_sender"})
    task = SimpleNamespace(name=SAY, request=request)
    fleet_logging.bind_task_context(task_id="t-1", task=task)
    try:
        assert structlog.contextvars.get_contextvars() == {
            "task": SAY,
            "task_id": "t-1",
            "request_id": "req_sender",
        }
    finally:
        fleet_logging.unbind_task_context(task_id="t-1")
    assert structlog.contextvars.get_contextvars() == {}
