from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import Job, JobItemStatus, JobStatus, TaskRun
from core.services import ItemFailed, create_job, run_job
from core.tasks import cleanup
from core.tests.api import ReadOnlyAPICases
from core.tests.factories import JobFactory, JobItemFactory


@pytest.mark.django_db
class TestJobAPI(ReadOnlyAPICases):
    url_name = "core-api:job"
    list_id_field = "job_id"
    list_queries = 2  # the count, the page

    def make_object(self, organization):
        job = JobFactory(organization=organization, total=2)
        JobItemFactory(job=job, status=JobItemStatus.SUCCEEDED, result={"order": 1})
        JobItemFactory(job=job, status=JobItemStatus.FAILED, error="quota exceeded")
        return job

    def test_detail_shows_counts_and_item_results(self, member, obj):
        data = self.client_as(member).get(self.detail_url(obj)).json()["data"]
        assert data["job_id"] == obj.pk
        assert data["status_url"] == f"/api/v1/jobs/{obj.pk}"
        assert [item["status"] for item in data["results"]] == ["succeeded", "failed"]
        assert data["results"][1]["error"] == "quota exceeded"

    def test_detail_path_without_trailing_slash(self, member, obj):
        response = self.client_as(member).get(f"/api/v1/jobs/{obj.pk}")
        assert response.status_code == 200

    def test_list_filters_by_status(self, member, organization):
        JobFactory(organization=organization, status=JobStatus.FAILED)
        JobFactory(organization=organization, status=JobStatus.COMPLETED)
        response = self.client_as(member).get(reverse("core-api:job-list") + "?status=failed")
        assert [row["status"] for row in response.json()["data"]] == ["failed"]


@pytest.mark.django_db
def test_run_job_records_each_item_and_partial_outcome(organization):
    job = create_job(
        kind="test.bulk",
        organization=organization,
        items=[("a", {"n": 1}), ("b", {"n": 0}), ("c", {"n": 3})],
    )

    def handler(item):
        if item.payload["n"] == 0:
            raise ItemFailed("n must be positive")
        return {"double": item.payload["n"] * 2}

    job = run_job(job, handler)
    assert (job.status, job.done, job.failed) == (JobStatus.PARTIAL, 2, 1)
    results = {i.key: (i.status, i.result, i.error) for i in job.items.all()}
    assert results == {
        "a": ("succeeded", {"double": 2}, ""),
        "b": ("failed", {}, "n must be positive"),
        "c": ("succeeded", {"double": 6}, ""),
    }


@pytest.mark.django_db
def test_rerun_never_repeats_a_succeeded_item(organization):
    job = create_job(kind="test.bulk", organization=organization, items=[("a", {}), ("b", {})])
    calls = []

    def flaky(item):
        calls.append(item.key)
        if item.key == "b" and calls.count("b") == 1:
            raise ItemFailed("temporary")
        return {}

    run_job(job, flaky)
    job = run_job(Job.objects.get(pk=job.pk), flaky)
    assert calls == ["a", "b", "b"]
    assert (job.status, job.done, job.failed) == (JobStatus.COMPLETED, 2, 0)


@pytest.mark.django_db
def test_item_interrupted_mid_call_is_handed_back_with_its_attempts(organization):
    job = create_job(kind="test.bulk", organization=organization, items=[("a", {})])
    job.items.update(status=JobItemStatus.IN_PROGRESS, attempts=1)  # a worker died mid-call
    seen = []
    run_job(job, lambda item: seen.append(item.attempts) or {})
    assert seen == [2]


@pytest.mark.django_db
def test_cleanup_prunes_old_jobs_and_task_runs_only(organization, settings):
    old = timezone.now() - timedelta(days=settings.JOB_RETENTION_DAYS + 1)
    stale_job = JobFactory(organization=organization, status=JobStatus.COMPLETED, finished_at=old)
    fresh_job = JobFactory(organization=organization, status=JobStatus.COMPLETED)
    TaskRun.objects.create(task_id="a", task="core.tasks.cleanup", started_at=old)
    recent = TaskRun.objects.create(
        task_id="b", task="core.tasks.cleanup", started_at=timezone.now()
    )

    result = cleanup()

    assert (result["jobs_deleted"], result["task_runs_deleted"]) >= (1, 1)
    assert not Job.objects.filter(pk=stale_job.pk).exists()
    assert Job.objects.filter(pk=fresh_job.pk).exists()
    assert list(TaskRun.objects.values_list("pk", flat=True)) == [recent.pk]
