"""Bulk top-up (US-014): one job, one item per SIM, run by a Celery task."""

import structlog

from accounts.audit import record_audit
from core.context import Context
from core.errors import DomainError, InvalidInput, UpstreamWriteFailed
from core.humanize import human_bytes, human_count
from core.job_kinds import job_kind, readable_pairs
from core.models import Job, JobItem
from core.services import ItemFailed, ItemUnknown, run_job
from quotas.models import QuotaType, TopUpSource, TopUpStatus
from quotas.services.reconcile import topup_result
from quotas.services.topups import status_url, top_up_sim
from sims.services.jobs import job_sim, start_sims_job
from upstream.exceptions import UpstreamError

logger = structlog.get_logger(__name__)


def describe_topup_result(result: dict) -> list[tuple[str, str]]:
    """A bulk top-up item's result (``reconcile.topup_result``) as operators read it: data in
    MB/GB, SMS as a count."""
    quota_type = result.get("quota_type")
    amount = human_bytes if quota_type == QuotaType.DATA else human_count
    return readable_pairs(
        result,
        labels={
            "quota_type": "Quota",
            "volume_added": "Added",
            "new_total": "New total",
            "new_remaining": "Now left",
            "transaction_id": "Transaction",
            "order_numbers": "1NCE orders",
        },
        formats={
            "quota_type": lambda v: QuotaType(v).label if v in QuotaType.values else str(v),
            "volume_added": amount,
            "new_total": amount,
            "new_remaining": amount,
        },
        omit=("iccid",),  # the item is the SIM
    )


BULK_TOPUP_KIND = job_kind("quota.bulk_topup", "Top up", describe_result=describe_topup_result)
BULK_TOPUP_TASK = "quotas.tasks.run_bulk_topup"


def start_bulk_topup(*, organization, items: list[dict], context: Context) -> Job:
    """Record a bulk top-up job (``items``: validated ``iccid``/``quota_type``/``volume``) and
    enqueue it, together or not at all (``sims.services.jobs.start_sims_job``: refused
    before anything is queued when the organization has no 1NCE account; 503 when the broker
    cannot take it)."""

    def audit(job: Job) -> None:
        record_audit(
            operation="BULK_TOPUP",
            resource_type="job",
            resource_id=job.pk,
            organization=organization,
            context=context,
            request_body={"sims": items},
            response_status=202,
        )

    job, _ = start_sims_job(
        kind=BULK_TOPUP_KIND,
        task=BULK_TOPUP_TASK,
        items=[(item["iccid"], dict(item)) for item in items],
        organization=organization,
        context=context,
        params={"total_sims": len(items)},
        on_created=audit,
    )
    return job


def bulk_topup_handler(job: Job):
    """The item handler of a bulk top-up job (see :func:`topup_job_item`)."""
    return lambda item: topup_job_item(job=job, item=item)


def run_bulk_topup(*, job: Job) -> Job:
    """Top up every SIM of the job not yet done, in one go (a task runs it in chunks)."""
    return run_job(job, bulk_topup_handler(job))


def topup_job_item(*, job: Job, item: JobItem) -> dict:
    """Top up one item's SIM. The item's ``TopUp`` is found again by the item, so an item
    interrupted mid-call (``attempts`` > 1) is reconciled with 1NCE, never repeated blindly;
    one whose outcome is unknown stays ``unknown`` (``ItemUnknown``) until the reconciler
    settles it."""
    sim = job_sim(job=job, iccid=item.key)
    payload = item.payload
    try:
        topup = top_up_sim(
            sim=sim,
            quota_type=payload["quota_type"],
            volume=int(payload["volume"]),
            context=Context.system(actor=job.created_by, via="task"),
            source=TopUpSource.BULK,
            job_item=item,
        )
    except UpstreamWriteFailed as exc:
        if exc.details.get("status") == TopUpStatus.UNKNOWN:
            raise ItemUnknown(str(exc)) from exc
        raise ItemFailed(str(exc)) from exc
    except InvalidInput as exc:
        raise ItemFailed("Invalid top-up: " + "; ".join(e["msg"] for e in exc.errors)) from exc
    except DomainError as exc:
        raise ItemFailed(str(exc)) from exc
    except UpstreamError as exc:
        raise ItemFailed(exc.public_message) from exc
    if topup.status != TopUpStatus.COMPLETED:
        raise ItemUnknown(
            "The outcome of this top-up at 1NCE is pending; it is never bought again before "
            f"it is settled ({status_url(topup)})."
        )
    return topup_result(topup)
