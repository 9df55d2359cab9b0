"""Every FleetOps task shares one retry and failure policy (``core.taskbase``)."""

from config.celery import app
from core.taskbase import TRANSIENT_ERRORS, FleetTask

OUR_APPS = ("accounts.", "core.", "quotas.", "sims.", "sms.", "usage.", "alerts.", "outages.")


def our_tasks() -> dict:
    app.loader.import_default_modules()
    return {
        name: task
        for name, task in app.tasks.items()
        if name.startswith(OUR_APPS) and ".tests." not in name  # tests' own stand-in tasks
    }


def test_every_task_uses_the_shared_policy():
    tasks = our_tasks()

    assert "sims.tasks.sync_organization_job" in tasks
    assert [name for name, task in tasks.items() if not isinstance(task, FleetTask)] == []


def test_every_task_retries_transient_errors_with_bounded_backoff():
    for name, task in our_tasks().items():
        assert task.autoretry_for == TRANSIENT_ERRORS, name
        assert hasattr(task, "_orig_run"), f"{name}: autoretry is not wired"
        assert task.retry_jitter and task.retry_backoff_max <= 600, name
        assert 0 <= task.max_retries <= 5, name
