"""A whole Celery worker killed (SIGKILL) mid bulk top-up: another worker finishes the job
soon after, buying every package exactly once."""

import os
import signal
import time
from pathlib import Path

import pytest

from core.models import Job, JobItem, JobItemStatus
from core.tests.waiting import wait_for
from quotas.tests.conftest import PACKAGE
from sims.services import onence_client_for
from simulators.onence import testing

pytestmark = pytest.mark.django_db(transaction=True)

VISIBILITY_TIMEOUT = 3


@pytest.fixture
def fleet(onence_simulator, organization):
    from sims.tests.factories import SimFactory

    iccids = onence_simulator.seed_fleet(sims=6, days=1)
    return [SimFactory(organization=organization, iccid=iccid) for iccid in iccids]


@pytest.fixture
def start_worker(worker_process, settings, organization):
    def start(pool: str = "solo"):
        return worker_process(
            pool,
            CELERY_BROKER_VISIBILITY_TIMEOUT=VISIBILITY_TIMEOUT,
            JOB_LEASE_SECONDS=2,
            ONENCE_BASE_URL=settings.ONENCE_BASE_URL,
            ONENCE_DEFAULT_ORGANIZATION=organization.slug,
            UPSTREAM_MAX_RETRIES=1,
        )

    return start


def children_of(pid: int) -> list[int]:
    """The worker's pool processes (Linux: /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def assert_bought_once_or_pending(job_id, fleet) -> None:
    """The item cut mid-call is either found applied at 1NCE (succeeded) or, when the kill
    came before the call reached 1NCE, left unknown until the reconciler settles it: never
    bought again. Every other item succeeded."""
    job = Job.objects.get(pk=job_id)
    outcomes = dict(JobItem.objects.filter(job_id=job_id).values_list("key", "status"))
    unknown = [key for key, status in outcomes.items() if status == JobItemStatus.UNKNOWN]
    assert len(unknown) <= 1, outcomes
    assert set(outcomes.values()) <= {JobItemStatus.SUCCEEDED, JobItemStatus.UNKNOWN}
    assert (job.done, job.failed) == (len(fleet) - len(unknown), len(unknown))
    testing.set_faults(enforce_rate_limit=False)
    client = onence_client_for(organization=fleet[0].organization)
    orders = [o for o in client.list_orders() if o.order_type == "TOPUP"]
    for sim in fleet:
        bought = len([o for o in orders if sim.iccid in o.iccids])
        assert bought == (0 if sim.iccid in unknown else 1), sim.iccid


def test_a_killed_pool_process_s_bulk_job_is_finished_at_once_without_buying_twice(
    operator_client, fleet, celery_broker, start_worker
):
    """The worker survives and its pool process is killed mid-call: the task is requeued at
    once (acks_late, reject_on_worker_lost) and a new pool process finishes it."""
    testing.set_faults(latency_ms=700, paths="/topup", enforce_rate_limit=False)
    body = {"sims": [{"iccid": s.iccid, "quota_type": "data", "volume": PACKAGE} for s in fleet]}
    response = operator_client.post("/api/v1/sims/topup", body, format="json")
    job_id = response.json()["data"]["job_id"]
    worker = start_worker(pool="prefork")
    done = JobItem.objects.filter(job_id=job_id, status=JobItemStatus.SUCCEEDED)
    wait_for(lambda: done.count() >= 2, timeout=30, what="two items done")

    (child,) = children_of(worker.pid)
    os.kill(child, signal.SIGKILL)  # the pool process, mid-job; the worker lives on
    job = Job.objects.filter(pk=job_id)
    wait_for(lambda: job.get().is_finished, timeout=30, what="the worker to finish the job")
    assert worker.poll() is None
    assert_bought_once_or_pending(job_id, fleet)


def test_a_killed_worker_s_bulk_job_is_finished_by_the_next_worker_without_buying_twice(
    operator_client, fleet, celery_broker, start_worker
):
    testing.set_faults(latency_ms=700, paths="/topup", enforce_rate_limit=False)
    body = {"sims": [{"iccid": s.iccid, "quota_type": "data", "volume": PACKAGE} for s in fleet]}
    job_id = operator_client.post("/api/v1/sims/topup", body, format="json").json()["data"][
        "job_id"
    ]
    first = start_worker()
    done = JobItem.objects.filter(job_id=job_id, status=JobItemStatus.SUCCEEDED)
    wait_for(lambda: done.count() >= 2, timeout=30, what="two items done")

    os.killpg(first.pid, signal.SIGKILL)  # the whole worker, mid-job
    first.wait(timeout=10)
    killed_at = time.monotonic()
    assert not Job.objects.get(pk=job_id).is_finished

    time.sleep(VISIBILITY_TIMEOUT + 0.5)  # the unacknowledged message becomes visible again
    start_worker()
    job = Job.objects.filter(pk=job_id)
    wait_for(lambda: job.get().is_finished, timeout=30, what="the next worker to finish the job")

    assert time.monotonic() - killed_at < 30
    assert_bought_once_or_pending(job_id, fleet)
