"""The bulk sync and reset of selected SIMs run as jobs (``sims.services.jobs``): each SIM goes
through the single-SIM service (``sync_one``, ``request_reset``) to 1NCE (the simulator over
HTTP, our real client), progress and each item's outcome are recorded, and a redelivered job
resets no SIM twice."""

import pytest

from accounts.models import AuditLog, Role
from core.context import Context
from core.errors import UpstreamNotConnected
from core.models import Job, JobItem, JobItemStatus, JobStatus
from sims.models import ConnectivityReset, Sim
from sims.services.jobs import RESET_KIND, SYNC_KIND, start_reset_sims, start_sync_sims
from sims.tasks import sim_operation_job
from sims.tests.factories import SimFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def operator(make_user):
    return make_user(Role.OPERATOR, is_staff=True)


@pytest.fixture
def unknown_to_1nce(organization):
    """A SIM of the organization's mirror that 1NCE does not know (any more)."""
    return SimFactory(organization=organization, iccid="8988228000099999990")


def items_of(job: Job) -> dict[str, JobItem]:
    return {item.key: item for item in job.items.all()}


def test_a_bulk_sync_job_syncs_each_sim_from_1nce_and_records_each_outcome(
    onence_fleet, onence_simulator, unknown_to_1nce, organization, operator, settings
):
    settings.JOB_CHUNK_SECONDS = 0  # one item per chunk: progress is recorded run by run
    Sim.objects.filter(pk__in=[s.pk for s in onence_fleet]).update(
        label="stale", last_synced_at=None
    )
    iccids = [sim.iccid for sim in [*onence_fleet, unknown_to_1nce]]

    job = start_sync_sims(
        organization=organization, iccids=iccids, context=Context(actor=operator, via="console")
    )

    job.refresh_from_db()
    assert (job.kind, job.organization, job.created_by) == (SYNC_KIND, organization, operator)
    assert (job.status, job.total, job.done, job.failed) == (JobStatus.PARTIAL, 4, 3, 1)
    assert job.runs == 4  # each chunk took one SIM and queued the next
    items = items_of(job)
    for sim in onence_fleet:
        assert items[sim.iccid].status == JobItemStatus.SUCCEEDED
        assert onence_simulator.requests_received(path_contains=sim.iccid, method="GET")
        sim.refresh_from_db()
        assert sim.label == onence_simulator.get_sim(sim.iccid)["label"] != "stale"
        assert items[sim.iccid].result["last_synced_at"] == sim.last_synced_at.isoformat()
    failed = items[unknown_to_1nce.iccid]
    assert failed.status == JobItemStatus.FAILED and "not found" in failed.error.lower()


def test_a_bulk_reset_job_resets_each_sim_at_1nce_audited_with_the_operator(
    onence_fleet, onence_simulator, organization, operator
):
    refused = onence_fleet[1]
    onence_simulator.set_faults(
        error_rate=1.0, error_status=400, paths=f"{refused.iccid}/reset", enforce_rate_limit=False
    )

    job = start_reset_sims(
        organization=organization,
        iccids=[sim.iccid for sim in onence_fleet],
        context=Context(actor=operator, via="console"),
    )

    job.refresh_from_db()
    assert (job.kind, job.status, job.done, job.failed) == (RESET_KIND, JobStatus.PARTIAL, 2, 1)
    items = items_of(job)
    assert items[refused.iccid].status == JobItemStatus.FAILED and items[refused.iccid].error
    assert not ConnectivityReset.objects.filter(sim=refused).exists()
    for sim in (onence_fleet[0], onence_fleet[2]):
        reset = ConnectivityReset.objects.get(sim=sim)
        assert reset.requested_by == operator
        assert items[sim.iccid].result["reset_id"] == reset.pk
        posts = onence_simulator.requests_received(path_contains=f"{sim.iccid}/reset")
        assert [row["status"] for row in posts] == [201]
        audit = AuditLog.objects.get(operation="RESET", resource_id=sim.iccid)
        assert (audit.user, audit.organization) == (operator, organization)
    assert not AuditLog.objects.filter(operation="RESET", resource_id=refused.iccid).exists()


def test_a_reset_item_interrupted_after_its_reset_is_not_reset_again(
    onence_fleet, onence_simulator, organization, operator
):
    job = start_reset_sims(
        organization=organization,
        iccids=[sim.iccid for sim in onence_fleet],
        context=Context(actor=operator, via="console"),
    )
    assert len(onence_simulator.requests_received(path_contains="/reset", method="POST")) == 3
    # A worker died right after the second SIM's reset was recorded, before its item was.
    victim = JobItem.objects.get(job=job, key=onence_fleet[1].iccid)
    first_result = victim.result
    JobItem.objects.filter(pk=victim.pk).update(status=JobItemStatus.IN_PROGRESS, result={})
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.PROCESSING, done=2, cursor=1, finished_at=None
    )

    sim_operation_job.delay(job.pk)  # redelivered (acks_late)

    assert len(onence_simulator.requests_received(path_contains="/reset", method="POST")) == 3
    assert ConnectivityReset.objects.filter(sim=onence_fleet[1]).count() == 1
    victim.refresh_from_db()
    assert (victim.status, victim.attempts, victim.result) == (
        JobItemStatus.SUCCEEDED,
        2,
        first_result,
    )
    job.refresh_from_db()
    assert (job.status, job.done, job.failed) == (JobStatus.COMPLETED, 3, 0)


def test_an_organization_without_its_own_1nce_account_gets_no_job(
    onence_simulator, other_organization, make_user
):
    sim = SimFactory(organization=other_organization)
    actor = make_user(Role.OPERATOR, organization=other_organization)

    for start in (start_sync_sims, start_reset_sims):
        with pytest.raises(UpstreamNotConnected):
            start(
                organization=other_organization,
                iccids=[sim.iccid],
                context=Context(actor=actor, via="console"),
            )

    assert not Job.objects.exists()
    assert not onence_simulator.requests_received()
