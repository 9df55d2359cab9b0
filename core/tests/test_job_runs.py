"""Jobs under faults: chunks, soft time limits, a lost broker, lost messages, held locks."""

from datetime import timedelta

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.utils import timezone

from accounts.models import AuditLog
from core.locks import HeartbeatLock
from core.models import Job, JobItemStatus, JobStatus
from core.services import (
    ItemFailed,
    JobNotReady,
    create_job,
    job_lock_key,
    run_job,
    run_job_chunk,
    sweep_jobs,
)

pytestmark = pytest.mark.django_db


def test_a_chunk_stops_between_items_and_the_next_goes_on_without_retrying_its_failures(
    organization,
):
    job = create_job(kind="test.bulk", organization=organization, items=[(k, {}) for k in "abcd"])
    calls = []

    def handler(item):
        calls.append(item.key)
        if item.key == "a":
            raise ItemFailed("refused")
        return {}

    job = run_job(job, handler, should_stop=lambda: len(calls) >= 2)
    assert job.status == JobStatus.PROCESSING and not job.is_finished
    assert (job.done, job.failed, job.cursor) == (1, 1, 2)

    job = run_job(job, handler)
    assert calls == ["a", "b", "c", "d"]  # "a" failed in this pass: not tried again
    assert (job.status, job.done, job.failed, job.cursor) == (JobStatus.PARTIAL, 3, 1, 0)


def test_an_item_cut_by_the_soft_time_limit_stays_in_progress_and_is_retried_not_failed(
    organization,
):
    job = create_job(kind="test.bulk", organization=organization, items=[("a", {}), ("b", {})])
    attempts = []

    def handler(item):
        attempts.append((item.key, item.attempts))
        if len(attempts) == 1:
            raise SoftTimeLimitExceeded()  # Celery interrupts the call mid-way
        return {}

    job = run_job(job, handler)
    item = job.items.get(key="a")
    assert (item.status, job.failed, job.is_finished) == (JobItemStatus.IN_PROGRESS, 0, False)

    job = run_job(job, handler)
    assert attempts == [("a", 1), ("a", 2), ("b", 1)]  # handed back as a retry
    assert (job.status, job.done, job.failed) == (JobStatus.COMPLETED, 2, 0)


def test_a_job_held_by_a_live_run_is_not_run_twice(organization, settings):
    job = create_job(kind="test.bulk", organization=organization, items=[("a", {})])
    holder = HeartbeatLock(job_lock_key(job.pk), ttl=settings.JOB_LEASE_SECONDS)
    assert holder.acquire()
    try:
        with pytest.raises(JobNotReady) as raised:
            run_job_chunk(job.pk, lambda job: lambda item: {})
        assert raised.value.retry_after == settings.JOB_LEASE_SECONDS
    finally:
        holder.release()
    assert job.items.get().attempts == 0


def test_a_duplicate_delivery_of_a_held_job_is_dropped_not_failed(organization, settings):
    """Seen in review: a delivery still finding the job held after its retries turned into
    ``fail_job`` on a job another run was finishing."""
    from sims.tasks import sync_organization_job

    job = create_job(
        kind="sims.sync_all",
        organization=organization,
        items=[(organization.slug, {"organization_id": organization.pk})],
    )
    holder = HeartbeatLock(job_lock_key(job.pk), ttl=settings.JOB_LEASE_SECONDS)
    assert holder.acquire()
    try:
        sync_organization_job.apply(args=[job.pk], retries=1000)  # its retries are spent
    finally:
        holder.release()
    job.refresh_from_db()
    assert (job.status, job.finished_at, job.error) == (JobStatus.PENDING, None, "")


def test_a_message_that_arrives_before_its_job_is_committed_is_retried():
    with pytest.raises(JobNotReady):
        run_job_chunk("job_not_committed_yet", lambda job: lambda item: {})


@pytest.mark.parametrize(
    ("path", "body", "kind"),
    [
        ("/api/v1/sims/sync-all", {}, "sims.sync_all"),
        (
            "/api/v1/sims/topup",
            {"sims": [{"iccid": "8988228066000000001", "quota_type": "sms", "volume": 250}]},
            "quota.bulk_topup",
        ),
    ],
)
def test_broker_down_answers_503_and_leaves_no_job_nor_audit(
    operator_client, organization, settings, broker_down, path, body, kind
):
    settings.ONENCE_DEFAULT_ORGANIZATION = organization.slug
    audits = AuditLog.objects.count()

    response = operator_client.post(path, body, format="json")

    assert response.status_code == 503, response.content
    assert response.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
    assert not Job.objects.filter(kind=kind).exists()
    assert AuditLog.objects.count() == audits


def test_a_queued_job_is_committed_with_its_message(
    operator_client, organization, settings, celery_broker
):
    settings.ONENCE_DEFAULT_ORGANIZATION = organization.slug
    response = operator_client.post("/api/v1/sims/sync-all")
    assert response.status_code == 202
    job = Job.objects.get(pk=response.json()["data"]["job_id"])
    assert (job.status, job.task) == (JobStatus.PENDING, "sims.tasks.sync_organization_job")
    assert celery_broker.queued() == [(job.task, [job.pk])]


def test_sweeper_requeues_jobs_left_pending_or_stalled_and_only_those(
    organization, settings, celery_broker
):
    old = timezone.now() - timedelta(seconds=settings.JOB_SWEEP_AFTER_SECONDS + 1)
    task = "sims.tasks.configure_sims_job"

    def job(status, updated_at):
        job = create_job(kind="test.bulk", task=task, organization=organization, items=[])
        Job.objects.filter(pk=job.pk).update(status=status, updated_at=updated_at)
        return job.pk

    lost_message = job(JobStatus.PENDING, old)
    stalled = job(JobStatus.PROCESSING, old)
    running = job(JobStatus.PROCESSING, old)  # its chunk is alive (holds the lock)
    fresh = job(JobStatus.PENDING, timezone.now())
    finished = job(JobStatus.COMPLETED, old)
    holder = HeartbeatLock(job_lock_key(running), ttl=settings.JOB_LEASE_SECONDS)
    assert holder.acquire()
    try:
        swept = sweep_jobs()
        again = sweep_jobs()
    finally:
        holder.release()

    assert sorted(swept) == sorted([lost_message, stalled])
    assert sorted(args[0] for _, args in celery_broker.queued()) == sorted(swept)
    assert {fresh, finished, running}.isdisjoint(swept)
    assert again == []  # swept jobs get time to run before the next sweep
