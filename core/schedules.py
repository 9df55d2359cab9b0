"""Periodic task declarations: the ``Schedule`` type and where the project's list lives.

``core`` owns the machinery (``setup_periodic_tasks``, ``core.scheduler``) but not the list:
it names tasks of every app, so it lives in ``config`` (the top layer) and is found through
the ``PERIODIC_TASKS_MODULE`` setting, as Django finds ``ROOT_URLCONF``. Importing it here
would make ``core`` depend on the layer above it.
"""

from dataclasses import dataclass
from importlib import import_module

from django.conf import settings

from core.job_kinds import words


@dataclass(frozen=True)
class Schedule:
    """One periodic task as declared in code; django-celery-beat holds the live copy."""

    name: str
    task: str
    every_seconds: int | None = None  # an interval, or:
    crontab: str | None = None  # "minute hour day_of_month month_of_year day_of_week" (UTC)
    expires_seconds: int | None = None  # just under the period: a late run is dropped
    description: str = ""


def declared_schedules() -> list[Schedule]:
    """The ``PERIODIC_TASKS`` list of the module named by ``settings.PERIODIC_TASKS_MODULE``."""
    return list(import_module(settings.PERIODIC_TASKS_MODULE).PERIODIC_TASKS)


def declared_schedule(*, task: str = "", name: str = "") -> Schedule | None:
    """The declared schedule named ``name``, else the first that sends ``task``."""
    schedules = declared_schedules()
    found = next((s for s in schedules if name and s.name == name), None)
    return found or next((s for s in schedules if task and s.task == task), None)


def task_name(task: str, schedule_name: str = "") -> str:
    """What operators call a periodic task: its schedule's name in words ("Sync SIMs" for
    ``sync-sims``); for a run no schedule sent, the name of the schedule declared for
    ``task``, else the words of the task's function (``sims.tasks.sync_sims`` -> "Sync
    SIMs"). The code itself is for logs and the API."""
    if not schedule_name:
        declared = declared_schedule(task=task)
        schedule_name = declared.name if declared is not None else ""
    return words(schedule_name or task.rpartition(".")[2]) or task
