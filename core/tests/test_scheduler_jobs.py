"""One periodic job (``GET /api/v1/scheduler/jobs/{name}``) and running it now
(``POST /api/v1/scheduler/jobs/{name}/run``: operators and admins, audited, 202)."""

import base64
import json

import pytest
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import AuditLog, Role
from core.models import TaskRun, TaskRunOutcome
from core.tasks import cleanup
from core.tests.api import assert_error_envelope, assert_success_envelope

pytestmark = pytest.mark.django_db

JOB_URL = "/api/v1/scheduler/jobs/{}"
RUN_URL = "/api/v1/scheduler/jobs/{}/run"


def queued_messages(celery_broker) -> list[dict]:
    """The broker's waiting messages: task name, schedule name header, task id."""
    messages = []
    for raw in celery_broker.client.lrange("celery", 0, -1):
        message = json.loads(raw)
        body = json.loads(base64.b64decode(message["body"]))
        headers = message["headers"]
        messages.append(
            {
                "task": headers["task"],
                "id": headers["id"],
                "periodic_task_name": headers.get("periodic_task_name"),
                "args": body[0],
            }
        )
    return messages


class TestJobDetail:
    def test_shows_schedule_last_and_next_run_and_recent_runs_newest_first(self, viewer_client):
        call_command("setup_periodic_tasks")
        cleanup.delay()
        cleanup.delay()
        TaskRun.objects.create(task="usage.tasks.sync_usage", started_at="2026-01-01T00:00Z")

        response = viewer_client.get(JOB_URL.format("cleanup"))

        assert response.status_code == 200, response.content
        body = response.json()
        assert_success_envelope(body)
        job = body["data"]
        assert (job["name"], job["task"]) == ("cleanup", "core.tasks.cleanup")
        assert job["schedule"] == "daily at 02:00 UTC"
        assert job["registered"] is True and job["next_run_at"] is not None
        runs = TaskRun.objects.filter(task="core.tasks.cleanup").order_by("-started_at", "-id")
        assert [run["task_id"] for run in job["recent_runs"]] == [r.task_id for r in runs]
        assert len(job["recent_runs"]) == 2  # sync-usage's run is not cleanup's
        assert job["last_run"]["task_id"] == runs[0].task_id
        assert job["last_outcome"] == TaskRunOutcome.SUCCESS

    def test_declared_but_not_registered_job_is_shown_disabled(self, viewer_client):
        job = viewer_client.get(JOB_URL.format("sync-usage")).json()["data"]
        assert (job["registered"], job["enabled"], job["next_run_at"]) == (False, False, None)
        assert job["recent_runs"] == []

    def test_unknown_name_is_404_in_the_envelope(self, viewer_client):
        response = viewer_client.get(JOB_URL.format("no-such-job"))
        assert response.status_code == 404
        assert_error_envelope(response.json(), "NOT_FOUND")

    def test_without_credentials_is_401(self):
        response = APIClient().get(JOB_URL.format("cleanup"))
        assert response.status_code == 401
        assert_error_envelope(response.json(), "UNAUTHORIZED")

    def test_query_count_does_not_grow_with_runs(
        self, viewer_client, django_assert_max_num_queries
    ):
        call_command("setup_periodic_tasks")
        for _ in range(5):
            cleanup.delay()
        # session/auth lookups of force_authenticate: none; three for the job, one for its runs
        with django_assert_max_num_queries(4):
            assert viewer_client.get(JOB_URL.format("cleanup")).status_code == 200

    def test_url_names(self):
        assert reverse("core-api:scheduler-job", kwargs={"name": "cleanup"}) == (
            "/api/v1/scheduler/jobs/cleanup"
        )
        assert reverse("core-api:scheduler-job-run", kwargs={"name": "cleanup"}) == (
            "/api/v1/scheduler/jobs/cleanup/run"
        )


class TestRunNow:
    def test_operator_queues_the_task_tagged_with_its_schedule_and_audited(
        self, operator_client, celery_broker
    ):
        call_command("setup_periodic_tasks")

        response = operator_client.post(RUN_URL.format("sync-usage"))

        assert response.status_code == 202, response.content
        body = response.json()
        assert_success_envelope(body)
        data = body["data"]
        assert data["name"] == "sync-usage" and data["task"] == "usage.tasks.sync_usage"
        assert data["status_url"] == "/api/v1/scheduler/jobs/sync-usage"
        (message,) = queued_messages(celery_broker)
        assert message["task"] == "usage.tasks.sync_usage"
        assert message["id"] == data["task_id"]
        assert message["periodic_task_name"] == "sync-usage"
        entry = AuditLog.objects.get(operation="run_scheduled_job")
        assert (entry.resource_type, entry.resource_id) == ("periodic_task", "sync-usage")
        assert entry.user.role == Role.OPERATOR
        assert entry.request_body["task_id"] == data["task_id"]

    def test_admin_may_run_a_job(self, client_for, celery_broker):
        response = client_for(Role.ADMIN).post(RUN_URL.format("cleanup"))
        assert response.status_code == 202, response.content
        assert [m["task"] for m in queued_messages(celery_broker)] == ["core.tasks.cleanup"]

    def test_viewer_is_refused_and_nothing_is_sent(self, viewer_client, celery_broker):
        response = viewer_client.post(RUN_URL.format("cleanup"))
        assert response.status_code == 403
        assert_error_envelope(response.json(), "FORBIDDEN")
        assert queued_messages(celery_broker) == []
        assert not AuditLog.objects.filter(operation="run_scheduled_job").exists()

    def test_without_credentials_is_401(self, celery_broker):
        response = APIClient().post(RUN_URL.format("cleanup"))
        assert response.status_code == 401
        assert queued_messages(celery_broker) == []

    def test_unknown_name_is_404_and_nothing_is_sent(self, operator_client, celery_broker):
        response = operator_client.post(RUN_URL.format("no-such-job"))
        assert response.status_code == 404
        assert_error_envelope(response.json(), "NOT_FOUND")
        assert queued_messages(celery_broker) == []
        assert not AuditLog.objects.filter(operation="run_scheduled_job").exists()

    def test_broker_down_answers_503_and_audits_nothing(self, operator_client, broker_down):
        response = operator_client.post(RUN_URL.format("cleanup"))
        assert response.status_code == 503
        assert_error_envelope(response.json(), "SERVICE_UNAVAILABLE")
        assert not AuditLog.objects.filter(operation="run_scheduled_job").exists()

    def test_the_run_is_recorded_under_its_schedule_and_listed(self, operator_client):
        # Eager (the tests' default): the task runs inside the request, as a worker would.
        task_id = operator_client.post(RUN_URL.format("cleanup")).json()["data"]["task_id"]

        run = TaskRun.objects.get(task_id=task_id)
        assert (run.schedule_name, run.outcome) == ("cleanup", TaskRunOutcome.SUCCESS)
        job = operator_client.get(JOB_URL.format("cleanup")).json()["data"]
        assert job["recent_runs"][0]["task_id"] == task_id


@pytest.mark.django_db
class TestSchedulerPageInTheConsole:
    """The console's scheduler page runs and toggles jobs through the same services as the API
    (audited with the superuser as actor, the run tagged with its schedule)."""

    @pytest.fixture
    def console(self, client):
        from accounts.tests.factories import UserFactory

        call_command("setup_periodic_tasks")
        client.force_login(UserFactory(organization=None, is_staff=True, is_superuser=True))
        return client

    def post(self, console, name, operation):
        from django_celery_beat.models import PeriodicTask

        task = PeriodicTask.objects.get(name=name)
        response = console.post(
            reverse("admin:scheduler"), {"task": task.pk, "operation": operation}, follow=True
        )
        return [str(m) for m in response.context["messages"]]

    def test_run_now_sends_the_job_tagged_and_audited(self, console, celery_broker):
        shown = self.post(console, "cleanup", "run")
        (message,) = queued_messages(celery_broker)
        assert message["task"] == "core.tasks.cleanup"
        assert message["periodic_task_name"] == "cleanup"
        assert any(message["id"] in m for m in shown), shown
        entry = AuditLog.objects.get(operation="run_scheduled_job")
        assert entry.user.is_superuser and entry.resource_id == "cleanup"

    def test_run_now_with_the_broker_down_says_so_and_audits_nothing(self, console, broker_down):
        shown = self.post(console, "cleanup", "run")
        assert shown and "queued" not in " ".join(shown)
        assert not AuditLog.objects.filter(operation="run_scheduled_job").exists()

    def test_disable_and_enable_are_audited(self, console):
        from django_celery_beat.models import PeriodicTask

        self.post(console, "cleanup", "disable")
        assert PeriodicTask.objects.get(name="cleanup").enabled is False
        self.post(console, "cleanup", "enable")
        assert PeriodicTask.objects.get(name="cleanup").enabled is True
        operations = list(
            AuditLog.objects.filter(resource_id="cleanup")
            .order_by("id")
            .values_list("operation", flat=True)
        )
        assert operations == ["disable_scheduled_job", "enable_scheduled_job"]
