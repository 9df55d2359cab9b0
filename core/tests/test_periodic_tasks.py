import pytest
from django.core.management import call_command
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from config.schedules import PERIODIC_TASKS


@pytest.mark.django_db
def test_setup_creates_every_declared_schedule():
    call_command("setup_periodic_tasks")
    names = set(PeriodicTask.objects.values_list("name", flat=True))
    assert {s.name for s in PERIODIC_TASKS} <= names
    cleanup = PeriodicTask.objects.get(name="cleanup")
    assert cleanup.crontab.hour == "2"
    assert cleanup.expire_seconds == 23 * 3600


@pytest.mark.django_db
def test_setup_keeps_an_operators_edits():
    call_command("setup_periodic_tasks")
    task = PeriodicTask.objects.get(name="cleanup")
    every_hour, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.HOURS)
    task.crontab, task.interval, task.enabled = None, every_hour, False
    task.save()

    call_command("setup_periodic_tasks")

    task.refresh_from_db()
    assert task.interval == every_hour
    assert task.enabled is False
    assert PeriodicTask.objects.filter(name="cleanup").count() == 1
