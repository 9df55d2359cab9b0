"""Top-ups: one upstream call per 1NCE package, never paid twice.

Every package is a ``TopUpOrder`` row written ``pending`` (and committed) before its upstream
call and settled after it: ``completed`` with 1NCE's order number, ``failed`` when 1NCE refused
it, ``unknown`` when the call may have been applied (a timeout or a 5xx after sending). Before
any new top-up of a SIM, every open row of that SIM is reconciled against 1NCE's orders: an
order for the SIM placed after the call and not yet claimed by another row means the package
was applied. A retry (same ``Idempotency-Key``, or the same bulk job item) resumes its own
transaction and performs only the packages that were not applied.
"""

import contextlib
from datetime import timedelta

import structlog
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from rest_framework import status

from accounts.audit import record_audit
from accounts.models import AuditStatus
from core.exceptions import ApiError, Conflict, ErrorCode
from quotas.models import (
    QuotaType,
    TopUp,
    TopUpOrder,
    TopUpOrderStatus,
    TopUpSource,
    TopUpStatus,
)
from quotas.services.quota import package_size, packages_for, refresh_quotas
from sims.events import record_event
from sims.models import EventType, Sim
from sims.services import onence_client_for
from upstream.exceptions import UpstreamError, UpstreamTimeout, UpstreamUnavailable

logger = structlog.get_logger(__name__)

OPEN = (TopUpOrderStatus.PENDING, TopUpOrderStatus.UNKNOWN)
TOPUP_ORDER_TYPES = {"TOPUP", "BULK_TOPUP"}


class TopUpNotCompleted(ApiError):
    """The top-up failed or is unsettled; status and code follow the upstream failure."""

    def __init__(self, message, *, status_code, error_code, details):
        super().__init__(message, details=details)
        self.status_code = status_code
        self.error_code = error_code


def _error_status(exc: Exception | None) -> tuple[int, str]:
    if isinstance(exc, UpstreamTimeout):
        return status.HTTP_504_GATEWAY_TIMEOUT, ErrorCode.GATEWAY_TIMEOUT
    if isinstance(exc, UpstreamUnavailable):
        return status.HTTP_503_SERVICE_UNAVAILABLE, ErrorCode.SERVICE_UNAVAILABLE
    return status.HTTP_502_BAD_GATEWAY, ErrorCode.UPSTREAM_ERROR


def top_up_sim(
    *,
    sim: Sim,
    quota_type: str,
    volume: int,
    actor=None,
    source: str = TopUpSource.API,
    idempotency_key: str = "",
    job_item=None,
    request=None,
) -> TopUp:
    """Buy ``volume`` (a whole number of packages) of ``quota_type`` for ``sim`` at 1NCE.

    Returns the completed ``TopUp`` (with the refreshed totals). Raises ``ValidationError``
    (422) for a bad volume, ``Conflict`` while another top-up of the SIM is mid-call, an
    ``UpstreamError`` when open calls cannot be reconciled, and ``TopUpNotCompleted`` when a
    package failed or its outcome is unknown (what was applied stays recorded).
    """
    packages = packages_for(quota_type=quota_type, volume=volume)
    topup = _resumable(sim=sim, idempotency_key=idempotency_key, job_item=job_item, actor=actor)
    if topup is not None and (topup.quota_type, topup.volume) != (quota_type, volume):
        raise Conflict(
            "This retry asks for a different top-up than the one it resumes.",
            details={"transaction_id": topup.transaction_id},
        )
    if topup is not None and topup.status == TopUpStatus.COMPLETED:
        return topup
    client = onence_client_for(organization=sim.organization)
    before = _completed(topup)
    reconcile_sim_topups(sim=sim, resuming=topup, client=client)
    if topup is None:
        topup = TopUp.objects.create(
            organization_id=sim.organization_id,
            sim=sim,
            quota_type=quota_type,
            volume=volume,
            packages=packages,
            source=source,
            requested_by=actor if getattr(actor, "is_authenticated", False) else None,
            idempotency_key=idempotency_key,
            job_item=job_item,
        )
    applied = _completed(topup) - before  # found applied by reconciliation just now
    return _perform(topup=topup, client=client, actor=actor, request=request, applied=applied)


def _completed(topup: TopUp | None) -> int:
    if topup is None:
        return 0
    return topup.orders.filter(status=TopUpOrderStatus.COMPLETED).count()


def _resumable(*, sim: Sim, idempotency_key: str, job_item, actor) -> TopUp | None:
    """The transaction a retry continues: the job item's, or the caller's with the same key
    (keys are per user, as in ``core.idempotency``)."""
    if job_item is not None:
        return TopUp.objects.filter(job_item=job_item).first()
    if idempotency_key and getattr(actor, "is_authenticated", False):
        return (
            TopUp.objects.filter(sim=sim, idempotency_key=idempotency_key, requested_by=actor)
            .order_by("-created_at", "-id")
            .first()
        )
    return None


def _perform(*, topup: TopUp, client, actor, request, applied: int = 0) -> TopUp:
    sim = topup.sim
    rows = {row.sequence: row for row in topup.orders.all()}
    topup.status = TopUpStatus.PROCESSING
    topup.save(update_fields=["status", "updated_at"])
    applied_now = applied
    error: Exception | None = None
    for sequence in range(topup.packages):
        row = rows.get(sequence)
        if row is not None and row.status == TopUpOrderStatus.COMPLETED:
            continue
        # Committed before the call: a worker dying mid-call leaves this row for reconciling.
        row, _ = TopUpOrder.objects.update_or_create(
            topup=topup,
            sequence=sequence,
            defaults={
                "sim": sim,
                "status": TopUpOrderStatus.PENDING,
                "sent_at": timezone.now(),
                "error": "",
                "settled_at": None,
            },
        )
        try:
            receipt = client.top_up(sim.iccid)
        except (UpstreamUnavailable, UpstreamTimeout) as exc:
            _settle_row(row, TopUpOrderStatus.UNKNOWN, error=str(exc))
            logger.warning("topup_outcome_unknown", iccid=sim.iccid, topup=topup.transaction_id)
            # Found applied: go on. Not found yet (or 1NCE unreadable): leave it unknown, since
            # 1NCE may still be writing the order; the next top-up of this SIM settles it.
            with contextlib.suppress(UpstreamError):
                reconcile_sim_topups(sim=sim, resuming=topup, client=client, settle_missing=False)
            row.refresh_from_db()
            if row.status == TopUpOrderStatus.COMPLETED:
                applied_now += 1
                continue
            error = exc
            break
        except UpstreamError as exc:
            _settle_row(row, TopUpOrderStatus.FAILED, error=str(exc))
            error = exc
            break
        else:
            number = str(receipt.order_number) if receipt.order_number is not None else ""
            _settle_row(row, TopUpOrderStatus.COMPLETED, order_number=number)
            applied_now += 1
    return _finish(topup=topup, applied_now=applied_now, error=error, actor=actor, request=request)


def _settle_row(row: TopUpOrder, status_: str, *, error: str = "", order_number: str = ""):
    row.status, row.error, row.order_number = status_, error[:2000], order_number
    row.settled_at = timezone.now()
    row.save(update_fields=["status", "error", "order_number", "settled_at"])


def _status_of(topup: TopUp) -> str:
    statuses = list(topup.orders.values_list("status", flat=True))
    completed = statuses.count(TopUpOrderStatus.COMPLETED)
    if any(s in OPEN for s in statuses):
        return TopUpStatus.UNKNOWN
    if completed >= topup.packages:
        return TopUpStatus.COMPLETED
    return TopUpStatus.PARTIAL if completed else TopUpStatus.FAILED


def _finish(*, topup: TopUp, applied_now: int, error, actor, request) -> TopUp:
    sim = topup.sim
    topup.status = _status_of(topup)
    if applied_now:
        try:
            quota = refresh_quotas(sim=sim)[topup.quota_type]
            topup.new_total, topup.new_remaining = quota.volume, quota.remaining
        except UpstreamError as exc:  # applied all the same; the next read refreshes
            logger.warning("topup_quota_refresh_failed", iccid=sim.iccid, error=str(exc))
    topup.error = str(error)[:2000] if error else ""
    if topup.status == TopUpStatus.COMPLETED:
        topup.completed_at = timezone.now()
    order_numbers = list(
        topup.orders.filter(status=TopUpOrderStatus.COMPLETED)
        .exclude(order_number="")
        .values_list("order_number", flat=True)
    )
    with transaction.atomic():
        topup.save()
        if applied_now:
            unit = "bytes" if topup.quota_type == QuotaType.DATA else "SMS"
            record_event(
                sim=sim,
                event_type=EventType.QUOTA_TOPPED_UP,
                description=f"Topped up {applied_now * package_size(topup.quota_type)} {unit}.",
                details={
                    "transaction_id": topup.transaction_id,
                    "quota_type": topup.quota_type,
                    "packages": applied_now,
                    "order_numbers": order_numbers,
                    "source": topup.source,
                },
            )
        record_audit(
            operation="TOPUP",
            resource_type="sim",
            resource_id=sim.iccid,
            user=actor,
            organization=sim.organization,
            status=AuditStatus.SUCCESS
            if topup.status == TopUpStatus.COMPLETED
            else AuditStatus.FAILED,
            request=request,
            request_body={
                "quota_type": topup.quota_type,
                "volume": topup.volume,
                "transaction_id": topup.transaction_id,
                "order_numbers": order_numbers,
                "source": topup.source,
            },
            error_message=topup.error,
        )
    if topup.status != TopUpStatus.COMPLETED:
        status_code, code = _error_status(error)
        done = len(order_numbers)
        message = {
            TopUpStatus.UNKNOWN: "The top-up's outcome at 1NCE is not known yet; it will be "
            "checked against 1NCE's orders before any retry.",
            TopUpStatus.PARTIAL: f"Only {done} of {topup.packages} top-up packages were applied.",
        }.get(topup.status, "1NCE did not apply the top-up.")
        raise TopUpNotCompleted(
            f"{message} ({error})" if error else message,
            status_code=status_code,
            error_code=code,
            details={
                "transaction_id": topup.transaction_id,
                "status": topup.status,
                "packages_requested": topup.packages,
                "packages_applied": done,
                "order_numbers": order_numbers,
            },
        )
    logger.info(
        "topup_completed",
        iccid=sim.iccid,
        transaction_id=topup.transaction_id,
        source=topup.source,
        order_numbers=order_numbers,
    )
    return topup


def reconcile_sim_topups(
    *, sim: Sim, resuming: TopUp | None = None, client=None, settle_missing: bool = True
) -> int:
    """Settle the SIM's open (``pending``/``unknown``) top-up calls against 1NCE's orders.

    A call is taken as applied when 1NCE has a top-up order for the SIM dated at or after it
    (less ``TOPUP_RECONCILE_CLOCK_SKEW_SECONDS``) that no other row has claimed; otherwise it
    was not applied (unless ``settle_missing`` is False). A ``pending`` call of another
    transaction younger than ``TOPUP_RECONCILE_GRACE_SECONDS`` may still be running:
    ``Conflict``. Raises
    ``UpstreamError`` when 1NCE's orders cannot be read (nothing is settled then).
    Returns how many calls were looked at.
    """
    open_rows = list(TopUpOrder.objects.filter(sim=sim, status__in=OPEN).order_by("sent_at", "id"))
    if not open_rows:
        return 0
    grace = timezone.now() - timedelta(seconds=settings.TOPUP_RECONCILE_GRACE_SECONDS)
    for row in open_rows:
        own = resuming is not None and row.topup_id == resuming.pk
        if row.status == TopUpOrderStatus.PENDING and not own and row.sent_at > grace:
            raise Conflict(
                "Another top-up of this SIM is in progress; retry shortly.",
                details={"iccid": sim.iccid},
            )
    client = client or onence_client_for(organization=sim.organization)
    skew = timedelta(seconds=settings.TOPUP_RECONCILE_CLOCK_SKEW_SECONDS)
    orders = _topup_orders_since(client, iccid=sim.iccid, since=open_rows[0].sent_at - skew)
    claimed = set(
        TopUpOrder.objects.filter(sim=sim)
        .exclude(order_number="")
        .values_list("order_number", flat=True)
    )
    touched = set()
    for row in open_rows:
        match = next(
            (
                order
                for order in orders
                if str(order.order_number) not in claimed
                and order.order_date is not None
                and order.order_date >= row.sent_at - skew
            ),
            None,
        )
        if match is not None:
            claimed.add(str(match.order_number))
            _settle_row(row, TopUpOrderStatus.COMPLETED, order_number=str(match.order_number))
        elif settle_missing:
            _settle_row(row, TopUpOrderStatus.FAILED, error=row.error or "No order at 1NCE.")
        else:
            continue
        touched.add(row.topup_id)
        logger.info(
            "topup_reconciled",
            iccid=sim.iccid,
            row=row.pk,
            outcome=row.status,
            order=row.order_number,
        )
    for topup in TopUp.objects.filter(pk__in=touched).exclude(pk=getattr(resuming, "pk", None)):
        topup.status = _status_of(topup)
        topup.save(update_fields=["status", "updated_at"])
    return len(open_rows)


def _topup_orders_since(client, *, iccid: str, since) -> list:
    """1NCE's top-up orders for ``iccid`` dated at or after ``since``, oldest first.

    Orders come sorted by order number (the contract's default), so the walk starts at the
    last page and stops at the first page that reaches back before ``since``: a handful of
    calls, not the whole order history (1NCE allows 100 order calls per 5 minutes).
    """
    first = client.get_orders_page(page=1)
    found = []
    page_number = first.total_pages or 1
    while page_number >= 1:
        page = first if page_number == 1 else client.get_orders_page(page=page_number)
        for order in page.items:
            if (
                iccid in order.iccids
                and order.order_type.upper() in TOPUP_ORDER_TYPES
                and order.order_date is not None
                and order.order_date >= since
            ):
                found.append(order)
        dates = [order.order_date for order in page.items if order.order_date is not None]
        if dates and min(dates) < since:
            break
        page_number -= 1
    return sorted(found, key=lambda order: (order.order_date, order.order_number))
