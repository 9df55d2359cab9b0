"""Every periodic task, declared once. ``manage.py setup_periodic_tasks`` writes them to
django-celery-beat; operators may then change schedules in the admin and keep them."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Schedule:
    name: str
    task: str
    every_seconds: int | None = None  # an interval, or:
    crontab: str | None = None  # "minute hour day_of_month month_of_year day_of_week" (UTC)
    expires_seconds: int | None = None  # just under the period: a late run is dropped
    description: str = ""


PERIODIC_TASKS: list[Schedule] = [
    Schedule(
        name="sync-sims",
        task="sims.tasks.sync_sims",
        every_seconds=15 * 60,
        expires_seconds=14 * 60,
        description="Mirror every connected organization's SIMs from 1NCE.",
    ),
    Schedule(
        name="cleanup",
        task="core.tasks.cleanup",
        crontab="0 2 * * *",
        expires_seconds=23 * 3600,
        description="Prune finished jobs and other expired records.",
    ),
    Schedule(
        name="prune-tokens",
        task="accounts.tasks.prune_tokens",
        crontab="10 2 * * *",
        expires_seconds=23 * 3600,
        description="Delete refresh tokens expired or revoked over 30 days ago.",
    ),
]
