"""Write the declared schedules (``settings.PERIODIC_TASKS_MODULE``) to django-celery-beat.

A schedule is created with its declared timing once; later runs update only the task path
and expiry, so an operator's change of timing or enabled flag in the admin survives deploys.
"""

from django.db import transaction
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from core.management.base import FleetCommand
from core.schedules import declared_schedules


class Command(FleetCommand):
    help = "Create or update the periodic tasks in django-celery-beat."

    @transaction.atomic
    def handle(self, *args, **options):
        for schedule in declared_schedules():
            timing = self.timing(schedule)
            _, created = PeriodicTask.objects.update_or_create(
                name=schedule.name,
                defaults={
                    "task": schedule.task,
                    "expire_seconds": schedule.expires_seconds,
                    "description": schedule.description,
                },
                create_defaults={
                    "task": schedule.task,
                    "expire_seconds": schedule.expires_seconds,
                    "description": schedule.description,
                    "enabled": True,
                    **timing,
                },
            )
            verb = "created" if created else "kept"
            self.stdout.write(f"{verb} periodic task {schedule.name} -> {schedule.task}")

    @staticmethod
    def timing(schedule) -> dict:
        if schedule.every_seconds:
            interval, _ = IntervalSchedule.objects.get_or_create(
                every=schedule.every_seconds, period=IntervalSchedule.SECONDS
            )
            return {"interval": interval}
        minute, hour, day_of_month, month_of_year, day_of_week = schedule.crontab.split()
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=minute,
            hour=hour,
            day_of_month=day_of_month,
            month_of_year=month_of_year,
            day_of_week=day_of_week,
            timezone="UTC",
        )
        return {"crontab": crontab}
