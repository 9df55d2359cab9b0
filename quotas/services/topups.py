"""Top-ups: one upstream call per 1NCE package, never paid twice.

Every package is a ``TopUpOrder`` row written ``pending`` (and committed) before its upstream
call and settled after it: ``completed`` with 1NCE's order number, ``failed`` when 1NCE
certainly did not apply it (it refused it, or the call never reached 1NCE), ``unknown`` when
it may have been applied (a timeout or a 5xx after sending). An unknown call is never made
again before it is settled (``quotas.services.reconcile``): a retry of its transaction (same
``Idempotency-Key``, or the same bulk job item) answers "pending", any other top-up of the
SIM is refused, and the periodic reconciler settles it against 1NCE's orders. A retry after
settling performs only the packages that were not applied.
"""

from datetime import timedelta

import structlog
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.audit import record_audit
from accounts.models import AuditStatus
from core.context import Context
from core.errors import Conflict, UpstreamWriteFailed
from quotas.models import (
    TopUp,
    TopUpOrder,
    TopUpOrderStatus,
    TopUpSource,
    TopUpStatus,
)
from quotas.services.quota import packages_for, refresh_quotas
from quotas.services.reconcile import (
    OPEN,
    order_numbers,
    record_topped_up,
    settle_topups,
    status_of,
)
from sims.models import Sim
from sims.services import onence_client_for
from upstream.exceptions import (
    UpstreamError,
    certainly_not_applied,
)

logger = structlog.get_logger(__name__)

# A retry within this long of the last read of 1NCE's orders answers from that read: ten quick
# retries must not spend 1NCE's order-list budget ten times.
RECHECK_AFTER = timedelta(seconds=5)


def top_up_sim(
    *,
    sim: Sim,
    quota_type: str,
    volume: int,
    context: Context,
    source: str = TopUpSource.API,
    idempotency_key: str = "",
    job_item=None,
) -> TopUp:
    """Buy ``volume`` (a whole number of packages) of ``quota_type`` for ``sim`` at 1NCE.

    Returns the ``TopUp``: ``completed`` (with the refreshed totals), or, for a retry (same
    ``Idempotency-Key`` or job item) whose earlier call is still open, ``unknown`` with
    nothing sent: its outcome is pending (see ``quotas.services.reconcile``). Raises
    ``InvalidInput`` (422) for a bad volume, ``Conflict`` while another top-up of the SIM
    is mid-call or its outcome is pending, and ``UpstreamWriteFailed`` when a package failed or
    its outcome was lost just now (what was applied stays recorded).
    """
    packages = packages_for(quota_type=quota_type, volume=volume)
    topup = _resumable(
        sim=sim, idempotency_key=idempotency_key, job_item=job_item, actor=context.actor
    )
    if topup is not None and (topup.quota_type, topup.volume) != (quota_type, volume):
        raise Conflict(
            "This retry asks for a different top-up than the one it resumes.",
            details={"transaction_id": topup.transaction_id},
        )
    if topup is not None and topup.status == TopUpStatus.COMPLETED:
        return topup
    client = onence_client_for(organization=sim.organization)
    before = _completed(topup)
    settle_topups(
        sims=[sim], client=client, resuming=topup, recheck_after=RECHECK_AFTER, interactive=True
    )
    if _refuse_while_open(sim=sim, topup=topup):
        topup.refresh_from_db()
        return topup  # this transaction's own call is open: pending, nothing sent
    if topup is None:
        topup = TopUp.objects.create(
            organization_id=sim.organization_id,
            sim=sim,
            quota_type=quota_type,
            volume=volume,
            packages=packages,
            source=source,
            requested_by=context.actor,
            idempotency_key=idempotency_key,
            job_item=job_item,
        )
    found = _completed(topup) - before  # found applied since the last attempt
    return _perform(topup=topup, client=client, context=context, found=found)


def status_url(topup: TopUp) -> str:
    return f"/api/v1/sims/{topup.sim.iccid}/topups/{topup.transaction_id}"


def settles_by(topup: TopUp):
    """When the top-up's last open call settles at the latest (as not applied)."""
    last = (
        topup.orders.filter(status__in=OPEN).order_by("-sent_at").values_list("sent_at", flat=True)
    ).first()
    return last + timedelta(seconds=settings.TOPUP_SETTLE_SECONDS) if last else None


def _refuse_while_open(*, sim: Sim, topup: TopUp | None) -> bool:
    """Raise ``Conflict`` when another transaction's call for the SIM is open or still
    running; True when ``topup``'s own call is (the caller answers "pending")."""
    rows = list(
        TopUpOrder.objects.filter(sim=sim, status__in=OPEN)
        .select_related("topup__sim")
        .order_by("sent_at")
    )
    others = [row for row in rows if topup is None or row.topup_id != topup.pk]
    if others:
        other = others[-1].topup
        grace = timezone.now() - timedelta(seconds=settings.TOPUP_RECONCILE_GRACE_SECONDS)
        if any(r.status == TopUpOrderStatus.PENDING and r.sent_at > grace for r in others):
            message = "Another top-up of this SIM is in progress; retry shortly."
        else:
            message = (
                "An earlier top-up of this SIM has an outcome pending at 1NCE; no other top-up "
                "of the SIM is made until it is settled."
            )
        raise Conflict(
            message,
            details={
                "iccid": sim.iccid,
                "transaction_id": other.transaction_id,
                "status_url": status_url(other),
                "settles_by": settles_by(other),
            },
        )
    return bool(rows)


def _completed(topup: TopUp | None) -> int:
    if topup is None:
        return 0
    return topup.orders.filter(status=TopUpOrderStatus.COMPLETED).count()


def _resumable(*, sim: Sim, idempotency_key: str, job_item, actor) -> TopUp | None:
    """The transaction a retry continues: the job item's, or the caller's with the same key
    (keys are per user, as in ``core.idempotency``)."""
    if job_item is not None:
        return TopUp.objects.filter(job_item=job_item).first()
    if idempotency_key and actor is not None:  # an anonymous caller has no keys
        return (
            TopUp.objects.filter(sim=sim, idempotency_key=idempotency_key, requested_by=actor)
            .order_by("-created_at", "-id")
            .first()
        )
    return None


def _perform(*, topup: TopUp, client, context: Context, found: int = 0) -> TopUp:
    sim = topup.sim
    rows = {row.sequence: row for row in topup.orders.all()}
    topup.status = TopUpStatus.PROCESSING
    topup.save(update_fields=["status", "updated_at"])
    applied_now = 0
    error: Exception | None = None
    for sequence in range(topup.packages):
        row = rows.get(sequence)
        if row is not None and row.status == TopUpOrderStatus.COMPLETED:
            continue
        row = _start_call(topup=topup, sequence=sequence)
        try:
            receipt = client.top_up(sim.iccid)
        except UpstreamError as exc:
            error = exc
            if certainly_not_applied(exc):
                _settle_row(row, TopUpOrderStatus.FAILED, error=str(exc))
                break
            _settle_row(row, TopUpOrderStatus.UNKNOWN, error=str(exc))
            logger.warning("topup_outcome_unknown", iccid=sim.iccid, topup=topup.transaction_id)
            # 1NCE may have placed it before answering badly: look once. Not found (or 1NCE's
            # late): it stays unknown and blocks the SIM until the reconciler settles it.
            settle_topups(sims=[sim], client=client, resuming=topup, interactive=True)
            row.refresh_from_db()
            if row.status != TopUpOrderStatus.COMPLETED:
                break
            found += 1
            error = None
        else:
            number = str(receipt.order_number) if receipt.order_number is not None else ""
            _settle_row(row, TopUpOrderStatus.COMPLETED, order_number=number)
            applied_now += 1
    return _finish(topup=topup, applied_now=applied_now, found=found, error=error, context=context)


def _start_call(*, topup: TopUp, sequence: int) -> TopUpOrder:
    """Write the package's call ``pending``, committed before the call: a worker dying
    mid-call leaves it for reconciling. The SIM's row lock makes the "no other open call"
    check and the write one step, so two requests never both buy next to each other."""
    with transaction.atomic():
        Sim.objects.select_for_update().filter(pk=topup.sim_id).first()
        open_calls = TopUpOrder.objects.filter(sim_id=topup.sim_id, status__in=OPEN)
        if open_calls.exclude(topup=topup).exists():
            _refuse_while_open(sim=topup.sim, topup=topup)
        if open_calls.filter(topup=topup).exists():
            # One run settles each call before it starts the next: an open call of this
            # top-up belongs to a second run of it (a retry that took its key over).
            raise Conflict(
                "This top-up is being performed by another request; follow its status_url.",
                details={"transaction_id": topup.transaction_id, "status_url": status_url(topup)},
            )
        row, _ = TopUpOrder.objects.update_or_create(
            topup=topup,
            sequence=sequence,
            defaults={
                "sim": topup.sim,
                "status": TopUpOrderStatus.PENDING,
                "sent_at": timezone.now(),
                "error": "",
                "settled_at": None,
                "checked_at": None,
            },
        )
    return row


def _settle_row(row: TopUpOrder, status_: str, *, error: str = "", order_number: str = ""):
    row.status, row.error, row.order_number = status_, error[:2000], order_number
    row.settled_at = timezone.now()
    row.save(update_fields=["status", "error", "order_number", "settled_at"])


def _finish(*, topup: TopUp, applied_now: int, found: int, error, context: Context) -> TopUp:
    sim = topup.sim
    topup.status = status_of(topup)
    if applied_now or found:
        try:
            quota = refresh_quotas(sim=sim)[topup.quota_type]
            topup.new_total, topup.new_remaining = quota.volume, quota.remaining
        except UpstreamError as exc:  # applied all the same; the next read refreshes
            logger.warning("topup_quota_refresh_failed", iccid=sim.iccid, error=str(exc))
    topup.error = str(error)[:2000] if error else ""
    if topup.status == TopUpStatus.COMPLETED:
        topup.completed_at = timezone.now()
    numbers = order_numbers(topup)
    with transaction.atomic():
        topup.save()
        if applied_now:
            record_topped_up(topup, packages=applied_now)
        record_audit(
            operation="TOPUP",
            resource_type="sim",
            resource_id=sim.iccid,
            organization=sim.organization,
            context=context,
            status=AuditStatus.SUCCESS
            if topup.status == TopUpStatus.COMPLETED
            else AuditStatus.FAILED,
            request_body={
                "quota_type": topup.quota_type,
                "volume": topup.volume,
                "transaction_id": topup.transaction_id,
                "order_numbers": numbers,
                "source": topup.source,
            },
            error_message=topup.error,
        )
    if topup.status != TopUpStatus.COMPLETED:
        done = len(numbers)
        message = {
            TopUpStatus.UNKNOWN: "The top-up's outcome at 1NCE is not known yet. It is never "
            "bought again before it is settled against 1NCE's orders; follow status_url.",
            TopUpStatus.PARTIAL: f"Only {done} of {topup.packages} top-up packages were applied.",
        }.get(topup.status, "1NCE did not apply the top-up.")
        raise UpstreamWriteFailed(
            f"{message} ({error})" if error else message,
            cause=error,
            details={
                "transaction_id": topup.transaction_id,
                "status": topup.status,
                "packages_requested": topup.packages,
                "packages_applied": done,
                "order_numbers": numbers,
                "status_url": status_url(topup),
                "settles_by": settles_by(topup),
            },
        )
    logger.info(
        "topup_completed",
        iccid=sim.iccid,
        transaction_id=topup.transaction_id,
        source=topup.source,
        order_numbers=numbers,
    )
    return topup
