"""SIM work that runs as a job: sync-all, large batches of SIM configuration, and the
console's bulk sync and reset of selected SIMs.

Every job over SIMs runs for one organization through that organization's own 1NCE account:
:func:`start_sims_job` refuses an organization with no account before anything is queued.
The bulk sync and reset run each SIM through the very service its single-SIM button calls
(``sync_one``, ``request_reset``), one job item per SIM (:func:`sim_operation_handler`).
"""

from datetime import timedelta

from django.conf import settings

from core.context import Context
from core.errors import DomainError
from core.job_kinds import job_kind, readable_pairs, words
from core.models import Job, JobItem
from core.services import ItemFailed, start_job
from sims.models import Sim
from sims.services.clients import onence_credentials_for
from sims.services.connectivity import request_reset
from sims.services.sync import sync_one
from upstream.exceptions import UpstreamError


def configured_iccid(key: str) -> str:
    """A configure job item's key is ``"<position>:<ICCID>"`` (one SIM may be configured twice
    in a batch); operators read the ICCID."""
    return key.partition(":")[2] or key


CONFIGURE_OUTCOMES = {"created": "Fetched from 1NCE and configured", "updated": "Configured"}

SYNC_ALL_KIND = job_kind(
    "sims.sync_all",
    "Sync all SIMs from 1NCE",
    result_labels={
        "organization": "Organization",
        "seen": "SIMs read",
        "created": "New",
        "updated": "Updated",
        "status_changes": "Status changed",
        "missing": "No longer at 1NCE",
        "pages": "Pages read",
        "duration_s": "Took",
        "complete": "Read to the end",
    },
)
CONFIGURE_KIND = job_kind(
    "sims.configure",
    "Configure SIMs",
    describe_item=configured_iccid,
    describe_result=lambda result: readable_pairs(
        result,
        labels={"status": "Outcome"},
        formats={"status": lambda v: CONFIGURE_OUTCOMES.get(v, words(str(v)))},
        omit=("iccid",),
    ),
)
SYNC_KIND = job_kind(
    "sims.sync",
    "Sync from 1NCE",
    result_labels={"status": "Status at 1NCE", "last_synced_at": "Synced"},
)
RESET_KIND = job_kind(
    "sims.reset",
    "Reset connectivity",
    describe_result=lambda result: readable_pairs(
        result,
        labels={"reset_id": "Reset request", "expected_completion": "Back online by"},
        formats={"reset_id": lambda v: f"#{v}"},
    ),
)
# One task runs the per-SIM operations below; the job's kind picks the operation.
SIM_OPERATION_TASK = "sims.tasks.sim_operation_job"


def start_sims_job(
    *,
    kind: str,
    task: str,
    organization,
    items: list[tuple[str, dict]],
    context: Context,
    params: dict | None = None,
    on_created=None,
    exclusive_for: timedelta | None = None,
) -> tuple[Job, bool]:
    """Start a job over the organization's SIMs (``core.services.start_job``): refused with
    ``UpstreamNotConnected`` before anything is queued when the organization has no 1NCE
    account of its own, and with 503 when the broker cannot take it."""
    onence_credentials_for(organization=organization)
    return start_job(
        kind=kind,
        task=task,
        organization=organization,
        created_by=context.actor,
        items=items,
        params=params,
        on_created=on_created,
        exclusive_for=exclusive_for,
    )


def start_sync_all(*, organization, context: Context) -> tuple[Job, bool]:
    """Queue a sync of the organization's SIMs, or answer the one already queued or running
    (``(job, created)``)."""
    return start_sims_job(
        kind=SYNC_ALL_KIND,
        task="sims.tasks.sync_organization_job",
        organization=organization,
        context=context,
        items=[(organization.slug, {"organization_id": organization.pk})],
        # A sync that has not finished within a task's hard limit was lost with its worker.
        exclusive_for=timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT),
    )


def start_configure_sims(*, organization, items: list[dict], context: Context) -> Job:
    """Configure many SIMs as a job (one item per SIM, in order)."""
    job, _ = start_sims_job(
        kind=CONFIGURE_KIND,
        task="sims.tasks.configure_sims_job",
        organization=organization,
        context=context,
        items=[(f"{i}:{item['iccid']}", item) for i, item in enumerate(items)],
    )
    return job


def start_sync_sims(*, organization, iccids: list[str], context: Context) -> Job:
    """Sync the organization's SIMs ``iccids`` from 1NCE as a job, one item per SIM."""
    return _start_sim_operation(SYNC_KIND, organization, iccids, context)


def start_reset_sims(*, organization, iccids: list[str], context: Context) -> Job:
    """Reset the connectivity of the organization's SIMs ``iccids`` as a job, one item per
    SIM; each reset is audited with the job's creator as actor."""
    return _start_sim_operation(RESET_KIND, organization, iccids, context)


def _start_sim_operation(kind: str, organization, iccids: list[str], context: Context) -> Job:
    job, _ = start_sims_job(
        kind=kind,
        task=SIM_OPERATION_TASK,
        organization=organization,
        context=context,
        items=[(iccid, {}) for iccid in dict.fromkeys(iccids)],
    )
    return job


def job_sim(*, job: Job, iccid: str) -> Sim:
    """The SIM ``iccid`` of the job's organization; ``ItemFailed`` when it has none (a job
    never reaches another organization's SIM)."""
    sim = (
        Sim.objects.select_related("organization")
        .filter(organization_id=job.organization_id, iccid=iccid)
        .first()
    )
    if sim is None:
        raise ItemFailed("SIM not found in this organization.")
    return sim


def _sync_item(*, sim: Sim, item: JobItem, job: Job, context: Context) -> dict:
    # Reading a SIM and mirroring it is safe to repeat: a retried item simply syncs again.
    sim = sync_one(sim=sim)
    return {"status": sim.status, "last_synced_at": sim.last_synced_at.isoformat()}


def _reset_item(*, sim: Sim, item: JobItem, job: Job, context: Context) -> dict:
    if item.attempts > 1:
        # Interrupted mid-item: a reset recorded since the job was asked for is this item's
        # (or one as recent), so the SIM is not reset again. One 1NCE took but we never
        # recorded cannot be seen at 1NCE; repeating it only drops the session once more.
        earlier = sim.resets.filter(requested_at__gte=job.created_at).first()
        if earlier is not None:
            return _reset_result(earlier)
    return _reset_result(request_reset(sim=sim, context=context))


def _reset_result(reset) -> dict:
    return {"reset_id": reset.pk, "expected_completion": reset.expected_completion.isoformat()}


SIM_OPERATIONS = {SYNC_KIND: _sync_item, RESET_KIND: _reset_item}


def sim_operation_handler(job: Job):
    """The item handler of a bulk sync or reset job: each item (an ICCID) is the job's
    organization's SIM, run through the job kind's operation with the job's creator as actor;
    a refusal (1NCE's or ours) fails that item with its reason and the job goes on."""
    operation = SIM_OPERATIONS[job.kind]
    context = Context.system(actor=job.created_by, via="task")

    def handle(item: JobItem) -> dict:
        sim = job_sim(job=job, iccid=item.key)
        try:
            return operation(sim=sim, item=item, job=job, context=context)
        except UpstreamError as exc:
            raise ItemFailed(exc.public_message) from exc
        except DomainError as exc:
            raise ItemFailed(str(exc)) from exc

    return handle
