"""Periodic task declarations: the ``Schedule`` type and where the project's list lives.

``core`` owns the machinery (``setup_periodic_tasks``, ``core.scheduler``) but not the list:
it names tasks of every app, so it lives in ``config`` (the top layer) and is found through
the ``PERIODIC_TASKS_MODULE`` setting, as Django finds ``ROOT_URLCONF``. Importing it here
would make ``core`` depend on the layer above it.
"""

from dataclasses import dataclass
from importlib import import_module

from django.conf import settings


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
