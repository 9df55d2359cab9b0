from datetime import UTC, datetime, timedelta

import pytest
from celery import shared_task
from celery.exceptions import Retry
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask
from rest_framework.test import APIClient

from config import schedules
from config.schedules import PERIODIC_TASKS
from core.models import TaskRun, TaskRunOutcome
from core.scheduler import describe_crontab, describe_interval, next_run_at
from core.schedules import Schedule
from core.tasks import cleanup
from core.tests.api import assert_error_envelope, assert_success_envelope

STATUS_URL = "/api/v1/scheduler/status"


@shared_task(name="core.tests.test_scheduler.failing")
def failing():
    raise RuntimeError("boom")


@shared_task(name="core.tests.test_scheduler.flaky", autoretry_for=(ValueError,), max_retries=1)
def flaky():
    raise ValueError("upstream hiccup")


@shared_task(name="core.tests.test_scheduler.unscheduled")
def unscheduled():
    return "ok"


@pytest.fixture
def test_schedules(monkeypatch):
    extra = [
        Schedule(name="failing", task=failing.name, every_seconds=60),
        Schedule(name="flaky", task=flaky.name, every_seconds=60),
    ]
    monkeypatch.setattr(schedules, "PERIODIC_TASKS", [*PERIODIC_TASKS, *extra])


@pytest.mark.django_db
class TestRecording:
    def test_eager_run_of_a_periodic_task_is_recorded(self):
        cleanup.delay()
        run = TaskRun.objects.get(task="core.tasks.cleanup")
        assert run.outcome == TaskRunOutcome.SUCCESS
        assert run.finished_at >= run.started_at
        assert run.duration_seconds is not None and run.duration_seconds >= 0
        assert run.result == {
            "jobs_deleted": 0,
            "idempotency_keys_deleted": 0,
            "task_runs_deleted": 0,
            "connectivity_snapshots_deleted": 0,
            "events_deleted": 0,
            "webhook_deliveries_deleted": 0,
        }
        assert run.error == ""

    def test_failure_is_recorded_with_its_error(self, test_schedules):
        with pytest.raises(RuntimeError):
            failing.delay()
        run = TaskRun.objects.get(task=failing.name)
        assert run.outcome == TaskRunOutcome.FAILURE
        assert run.error == "RuntimeError: boom"
        assert run.duration_seconds is not None

    def test_a_retry_is_recorded_as_such(self, test_schedules):
        # Eagerly, autoretry raises Retry instead of running again later.
        with pytest.raises(Retry):
            flaky.delay()
        run = TaskRun.objects.get(task=flaky.name)
        assert run.outcome == TaskRunOutcome.RETRY
        assert "upstream hiccup" in run.error

    def test_tasks_that_are_not_periodic_are_not_recorded(self):
        unscheduled.delay()
        assert not TaskRun.objects.filter(task=unscheduled.name).exists()

    def test_a_task_sent_by_beat_is_recorded_with_its_schedule_name(self):
        unscheduled.apply_async(headers={"periodic_task_name": "added-in-admin"})
        run = TaskRun.objects.get(task=unscheduled.name)
        assert run.schedule_name == "added-in-admin"
        assert run.outcome == TaskRunOutcome.SUCCESS


@pytest.mark.django_db
class TestStatusEndpoint:
    def test_lists_every_declared_schedule_with_last_run_and_next_run(self, viewer_client):
        call_command("setup_periodic_tasks")
        cleanup.delay()
        response = viewer_client.get(STATUS_URL)
        assert response.status_code == 200, response.content
        body = response.json()
        assert_success_envelope(body)
        jobs = {job["name"]: job for job in body["data"]["jobs"]}
        assert {s.name for s in PERIODIC_TASKS} <= set(jobs)
        assert [job["name"] for job in body["data"]["jobs"]] == sorted(jobs)

        usage = jobs["sync-usage"]
        assert usage["task"] == "usage.tasks.sync_usage"
        assert usage["schedule"] == "every hour"
        assert usage["enabled"] is True and usage["registered"] is True
        assert usage["expires_seconds"] == 55 * 60
        assert usage["last_run"] is None and usage["last_outcome"] is None
        assert usage["next_run_at"] is not None

        job = jobs["cleanup"]
        assert job["schedule"] == "daily at 02:00 UTC"
        assert job["schedule_type"] == "crontab"
        assert job["last_outcome"] == "success"
        assert job["last_run"]["outcome"] == "success"
        assert job["last_run_at"] == job["last_run"]["started_at"]
        assert job["last_duration_seconds"] is not None
        next_run = datetime.fromisoformat(job["next_run_at"].replace("Z", "+00:00"))
        assert (next_run.hour, next_run.minute) == (2, 0)
        assert timezone.now() < next_run <= timezone.now() + timedelta(days=1)

    def test_declared_but_not_registered_schedules_are_listed_disabled(self, viewer_client):
        jobs = {j["name"]: j for j in viewer_client.get(STATUS_URL).json()["data"]["jobs"]}
        assert {s.name for s in PERIODIC_TASKS} <= set(jobs)
        assert jobs["sync-usage"]["registered"] is False
        assert jobs["sync-usage"]["enabled"] is False
        assert jobs["sync-usage"]["next_run_at"] is None

    def test_shows_the_latest_run(self, viewer_client):
        call_command("setup_periodic_tasks")
        cleanup.delay()
        cleanup.delay()
        latest = TaskRun.objects.filter(task="core.tasks.cleanup").order_by("-id").first()
        jobs = {j["name"]: j for j in viewer_client.get(STATUS_URL).json()["data"]["jobs"]}
        assert jobs["cleanup"]["last_run_at"].startswith(latest.started_at.strftime("%Y-%m-%dT"))
        assert TaskRun.objects.filter(task="core.tasks.cleanup").count() == 2

    def test_without_credentials_is_401(self):
        response = APIClient().get(STATUS_URL)
        assert response.status_code == 401
        assert_error_envelope(response.json(), "UNAUTHORIZED")

    def test_query_count_does_not_grow_with_runs(
        self, viewer_client, django_assert_max_num_queries
    ):
        call_command("setup_periodic_tasks")
        for _ in range(5):
            cleanup.delay()
        with django_assert_max_num_queries(3):
            assert viewer_client.get(STATUS_URL).status_code == 200

    def test_url_has_a_name(self):
        assert reverse("core-api:scheduler-status") == "/api/v1/scheduler/status"


@pytest.mark.django_db
class TestNextRun:
    def test_interval_runs_one_period_after_the_last_run(self):
        now = timezone.now()
        interval, _ = IntervalSchedule.objects.get_or_create(
            every=15, period=IntervalSchedule.MINUTES
        )
        task = PeriodicTask.objects.create(
            name="i", task="x", interval=interval, last_run_at=now - timedelta(minutes=5)
        )
        upcoming = next_run_at(task, now=now)
        assert abs((upcoming - (now + timedelta(minutes=10))).total_seconds()) < 2

    def test_overdue_task_runs_now_and_disabled_task_never(self):
        now = timezone.now()
        interval, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.HOURS)
        task = PeriodicTask.objects.create(
            name="i", task="x", interval=interval, last_run_at=now - timedelta(hours=5)
        )
        assert next_run_at(task, now=now) == now
        task.enabled = False
        assert next_run_at(task, now=now) is None

    def test_crontab_next_run(self):
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute="30",
            hour="4",
            day_of_week="*",
            day_of_month="*",
            month_of_year="*",
            timezone="UTC",
        )
        task = PeriodicTask.objects.create(name="c", task="x", crontab=crontab)
        now = datetime(2026, 11, 25, 5, 0, tzinfo=UTC)
        task.last_run_at = datetime(2026, 11, 25, 4, 30, tzinfo=UTC)
        assert next_run_at(task, now=now) == datetime(2026, 11, 26, 4, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (3600, "every hour"),
        (900, "every 15 minutes"),
        (86400, "every day"),
        (90, "every 90 seconds"),
    ],
)
def test_describe_interval(seconds, text):
    assert describe_interval(seconds) == text


@pytest.mark.parametrize(
    ("fields", "text"),
    [
        ("0 2 * * *", "daily at 02:00 UTC"),
        ("5 * * * *", "every hour at minute 5"),
        ("*/10 * * * *", "every 10 minutes"),
        ("* * * * *", "every minute"),
        ("0 6 * * 1", "weekly on Monday at 06:00 UTC"),
        ("0 6 1 * *", "cron '0 6 1 * *' (UTC)"),
    ],
)
def test_describe_crontab(fields, text):
    assert describe_crontab(*fields.split(), tz="UTC") == text
