"""A sync-all job that finds 1NCE down is retried under the shared task policy
(``core.taskbase``) and fails its job once the retries are spent."""

import pytest

from core.context import SYSTEM
from core.models import Job, JobStatus
from core.taskbase import MAX_RETRIES
from sims.models import Sim
from sims.services.jobs import start_sync_all
from sims.tasks import sync_organization_job
from simulators.onence import testing
from upstream.exceptions import UpstreamUnavailable

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def queued_sync(onence_simulator, organization, settings, celery_broker):
    """A sync-all job left on the broker, to be run here by hand."""
    settings.UPSTREAM_MAX_RETRIES = 0  # every failed page reaches the task
    # Eager retries run at once, in the same call, as a worker would run them later; errors
    # are kept on the result instead of raised (or the first retry would end the run).
    settings.CELERY_TASK_EAGER_PROPAGATES = False
    onence_simulator.seed_fleet(sims=3, days=1)
    job, _ = start_sync_all(organization=organization, context=SYSTEM)
    return job


def sim_list_calls() -> list[dict]:
    return testing.requests_received(path_contains="/sims", method="GET")


def test_sync_job_retries_a_1nce_outage_and_completes(queued_sync, organization):
    # Every other request fails, the first included: the first run dies on its first page.
    testing.set_faults(error_rate=0.5, error_status=503, paths="/sims", enforce_rate_limit=False)

    result = sync_organization_job.apply(args=[queued_sync.pk])

    assert result.successful()
    job = Job.objects.get(pk=queued_sync.pk)
    assert (job.status, job.done, job.failed) == (JobStatus.COMPLETED, 1, 0)
    assert Sim.objects.filter(organization=organization).count() == 3
    assert [call["status"] for call in sim_list_calls()][:2] == [503, 200]


def test_sync_job_fails_its_job_after_the_retries(queued_sync):
    testing.set_faults(error_rate=1.0, error_status=503, paths="/sims", enforce_rate_limit=False)

    result = sync_organization_job.apply(args=[queued_sync.pk])

    assert isinstance(result.result, UpstreamUnavailable)

    job = Job.objects.get(pk=queued_sync.pk)
    assert job.status == JobStatus.FAILED
    assert job.finished_at is not None
    assert "could not finish" in job.error
    assert len(sim_list_calls()) == MAX_RETRIES + 1
