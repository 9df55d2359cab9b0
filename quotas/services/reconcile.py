"""Settling top-up calls whose outcome was lost, against 1NCE's orders.

A top-up call (``TopUpOrder``) is *open* while it is ``unknown`` (a timeout or a 5xx after
sending) or ``pending`` past ``TOPUP_RECONCILE_GRACE_SECONDS`` (its process died mid-call).
An open call is never repeated and blocks every other top-up of its SIM until it settles:

- as applied (``completed``) when 1NCE shows a top-up order for the SIM dated at or after the
  call (less ``TOPUP_RECONCILE_CLOCK_SKEW_SECONDS``) that no other call has claimed;
- as not applied (``failed``) when ``TOPUP_SETTLE_SECONDS`` have passed since the call and a
  complete read of the orders since then still shows nothing.

1NCE writes asynchronously, so "not found yet" means nothing before the settle window ends.

1NCE allows 100 order calls per 5 minutes, and orders come ten to a page. One pass therefore
reads each 1NCE account's orders once, from the newest page back to its oldest open call, and
shares that read across every SIM being settled; full pages never change and are cached, so a
pass mostly reads the newest page only. Each page read is counted against
``TOPUP_RECONCILE_ORDER_CALLS`` per 5 minutes. When that budget is spent the read stops: what
it found still settles calls as applied, nothing is settled as not applied, and the next pass
goes on.
"""

import math
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

import structlog
from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.degraded import CACHE_ERRORS, cache_get, cache_is_down, cache_set, mark_cache_down
from core.errors import UpstreamNotConnected
from core.services import settle_job_item
from quotas.models import QuotaType, TopUp, TopUpOrder, TopUpOrderStatus, TopUpStatus
from quotas.services.quota import package_size
from sims.events import record_event
from sims.models import EventType
from sims.services import onence_client_for
from upstream.exceptions import UpstreamError
from upstream.onence.auth import account_key

logger = structlog.get_logger(__name__)

OPEN = (TopUpOrderStatus.PENDING, TopUpOrderStatus.UNKNOWN)
TOPUP_ORDER_TYPES = {"TOPUP", "BULK_TOPUP"}
ORDER_CALLS_WINDOW_SECONDS = 300
_BUCKET_SECONDS = 30
_PAGE_CACHE_SECONDS = 600


class OrderCallBudget:
    """At most ``limit`` order-list calls per 5 minutes for one 1NCE account, across processes.

    Counted in 30-second buckets of the shared cache; a call is allowed while the buckets of
    the last 5.5 minutes hold fewer than ``limit`` (a little stricter than the window, never
    looser). A refused ``take`` gives its slot back, so racing callers can only under-use it.
    """

    def __init__(self, *, account: str, limit: int | None = None):
        self.key = f"quotas:orders-budget:{account}"
        self.limit = settings.TOPUP_RECONCILE_ORDER_CALLS if limit is None else limit

    def _buckets(self, now: float) -> list[str]:
        current = math.floor(now / _BUCKET_SECONDS)
        span = ORDER_CALLS_WINDOW_SECONDS // _BUCKET_SECONDS
        return [f"{self.key}:{bucket}" for bucket in range(current - span, current + 1)]

    def take(self, *, reserve: int = 0) -> bool:
        """Claim one call; False when the budget is spent, or when only ``reserve`` calls
        would be left (kept for the periodic reconciler). With the cache unreachable the
        budget cannot be counted: it counts as spent, so the read is incomplete and nothing is
        settled as not applied."""
        if cache_is_down():
            return False
        cache = caches["default"]
        keys = self._buckets(time.time())
        try:
            cache.add(keys[-1], 0, timeout=ORDER_CALLS_WINDOW_SECONDS + 2 * _BUCKET_SECONDS)
            cache.incr(keys[-1])
            used = sum(value for value in cache.get_many(keys).values() if value)
            if used > self.limit - reserve:
                cache.decr(keys[-1])
                return False
        except CACHE_ERRORS as exc:
            mark_cache_down(error=exc)
            return False
        return True


@dataclass
class OrdersRead:
    """1NCE's top-up orders of one account since ``since``, by ICCID (oldest first).
    ``complete`` is False when the read stopped early (budget spent, 1NCE unreadable)."""

    since: object
    by_iccid: dict[str, list] = field(default_factory=dict)
    complete: bool = True
    calls: int = 0


def read_topup_orders(
    client, *, since, budget: OrderCallBudget | None = None, reserve: int = 0
) -> OrdersRead:
    """Walk 1NCE's orders from the last page back to the first page that reaches before
    ``since`` (orders come sorted by order number, i.e. oldest first).

    A full page that is not the last never changes (orders are only appended), so it is kept
    in the shared cache for ``_PAGE_CACHE_SECONDS`` and the last page count with it: a pass
    usually costs one call (the last page), however many orders the window holds.
    """
    account = account_key(client.credentials)
    budget = budget or OrderCallBudget(account=account)
    prefix = f"quotas:orders-page:{account}"
    read = OrdersRead(since=since)
    found = defaultdict(list)

    def fetch(number: int):
        if not budget.take(reserve=reserve):
            logger.warning("topup_reconcile_budget_spent", account=account)
            return None
        read.calls += 1
        page = client.get_orders_page(page=number)
        total = page.total_pages or 1
        if number < total and len(page.items) >= page.page_size:
            cache_set(f"{prefix}:{number}", page.items, _PAGE_CACHE_SECONDS)
        return page

    try:
        hint = cache_get(f"{prefix}:pages") or 1
        last = fetch(hint)
        if last is None:
            read.complete = False
            return read
        total = max(last.total_pages or 1, 1)
        cache_set(f"{prefix}:pages", total, _PAGE_CACHE_SECONDS)
        number = total
        while number >= 1:
            items = last.items if number == hint else cache_get(f"{prefix}:{number}")
            if items is None:
                page = fetch(number)
                if page is None:
                    read.complete = False
                    break
                items = page.items
            for order in items:
                if (
                    order.order_type.upper() in TOPUP_ORDER_TYPES
                    and order.order_date is not None
                    and order.order_date >= since
                ):
                    for iccid in order.iccids:
                        found[iccid].append(order)
            dates = [order.order_date for order in items if order.order_date is not None]
            if dates and min(dates) < since:
                break
            number -= 1
    except UpstreamError as exc:
        logger.warning("topup_reconcile_orders_unreadable", error=str(exc))
        read.complete = False
    read.by_iccid = {
        iccid: sorted(orders, key=lambda order: (order.order_date, order.order_number))
        for iccid, orders in found.items()
    }
    return read


@dataclass
class SettleResult:
    open: int = 0
    applied: int = 0
    not_applied: int = 0
    order_calls: int = 0
    errors: int = 0


def open_calls(*, sims=None, organization=None, now=None, resuming: TopUp | None = None):
    """The open top-up calls (see the module docstring): unknown ones, and pending ones whose
    process has had ``TOPUP_RECONCILE_GRACE_SECONDS`` to answer. A younger pending call is
    still running and is left to it, unless it belongs to ``resuming``: the transaction a
    retry resumes is no longer running elsewhere (its key or job item is held by the retry)."""
    now = now or timezone.now()
    grace = now - timedelta(seconds=settings.TOPUP_RECONCILE_GRACE_SECONDS)
    wanted = Q(status=TopUpOrderStatus.UNKNOWN) | Q(
        status=TopUpOrderStatus.PENDING, sent_at__lte=grace
    )
    if resuming is not None:
        wanted |= Q(status=TopUpOrderStatus.PENDING, topup=resuming)
    rows = TopUpOrder.objects.filter(wanted)
    if sims is not None:
        rows = rows.filter(sim__in=sims)
    if organization is not None:
        rows = rows.filter(sim__organization=organization)
    return rows


def settle_topups(
    *,
    sims=None,
    organization=None,
    client=None,
    resuming: TopUp | None = None,
    recheck_after: timedelta | None = None,
    interactive: bool = False,
) -> SettleResult:
    """Settle open top-up calls (of ``sims`` / ``organization``, else all; see
    :func:`open_calls` for ``resuming``) against 1NCE's orders, one read per 1NCE account.
    ``client`` serves when every call belongs to one organization. With ``recheck_after``,
    calls whose orders were read more recently are left alone (quick retries do not spend the
    order budget again). An ``interactive`` caller (a request, a job item) leaves a third of
    the order budget to the periodic pass, which settles every SIM at once."""
    now = timezone.now()
    rows = list(
        open_calls(sims=sims, organization=organization, now=now, resuming=resuming)
        .select_related("sim__organization", "topup")
        .order_by("sent_at", "id")
    )
    result = SettleResult(open=len(rows))
    if recheck_after is not None:
        # Calls read a moment ago are not read again, unless past their settle window: those
        # get the final read that settles them.
        fresh = now - recheck_after
        due = now - timedelta(seconds=settings.TOPUP_SETTLE_SECONDS)
        if rows and all(
            row.checked_at and row.checked_at > fresh and row.sent_at > due for row in rows
        ):
            return result
    by_org = defaultdict(list)
    for row in rows:
        by_org[row.sim.organization_id].append(row)
    for org_rows in by_org.values():
        organization = org_rows[0].sim.organization
        try:
            org_client = client or onence_client_for(organization=organization)
        except UpstreamNotConnected as exc:  # not connected any more: nothing can be read
            logger.warning("topup_reconcile_not_connected", org=organization.pk, error=str(exc))
            result.errors += 1
            continue
        skew = timedelta(seconds=settings.TOPUP_RECONCILE_CLOCK_SKEW_SECONDS)
        reserve = settings.TOPUP_RECONCILE_ORDER_CALLS // 3 if interactive else 0
        read = read_topup_orders(org_client, since=org_rows[0].sent_at - skew, reserve=reserve)
        result.order_calls += read.calls
        result.errors += not read.complete
        _settle_rows(org_rows, read, now=now, skew=skew, result=result)
    return result


def _settle_rows(rows, read: OrdersRead, *, now, skew, result: SettleResult) -> None:
    numbers = {str(order.order_number) for orders in read.by_iccid.values() for order in orders}
    # Order numbers are an account's own: only this organization's calls can have claimed one.
    claimed = set(
        TopUpOrder.objects.filter(
            order_number__in=numbers, sim__organization_id=rows[0].sim.organization_id
        ).values_list("order_number", flat=True)
    )
    settle_before = now - timedelta(seconds=settings.TOPUP_SETTLE_SECONDS)
    touched: dict[int, int] = defaultdict(int)  # topup id -> packages found applied
    for row in rows:
        match = next(
            (
                order
                for order in read.by_iccid.get(row.sim.iccid, [])
                if str(order.order_number) not in claimed and order.order_date >= row.sent_at - skew
            ),
            None,
        )
        if match is not None:
            claimed.add(str(match.order_number))
            status, fields = TopUpOrderStatus.COMPLETED, {"order_number": str(match.order_number)}
        elif read.complete and row.sent_at <= settle_before:
            error = f"No order at 1NCE {settings.TOPUP_SETTLE_SECONDS} s after the call."
            status, fields = TopUpOrderStatus.FAILED, {"error": error}
        else:
            TopUpOrder.objects.filter(pk=row.pk).update(checked_at=now)
            continue
        # Only an open row is settled: a retry that settled it meanwhile wins.
        updated = TopUpOrder.objects.filter(pk=row.pk, status__in=OPEN).update(
            status=status, settled_at=now, checked_at=now, **fields
        )
        if not updated:
            continue
        applied = status == TopUpOrderStatus.COMPLETED
        result.applied += applied
        result.not_applied += not applied
        touched[row.topup_id] += applied
        logger.info(
            "topup_reconciled",
            iccid=row.sim.iccid,
            row=row.pk,
            outcome=status,
            order=fields.get("order_number", ""),
        )
    for topup in TopUp.objects.filter(pk__in=list(touched)).select_related("sim", "job_item"):
        settle_topup(topup, found_applied=touched[topup.pk])


def status_of(topup: TopUp) -> str:
    """A top-up's status from its calls: unknown while any is open."""
    statuses = list(topup.orders.values_list("status", flat=True))
    completed = statuses.count(TopUpOrderStatus.COMPLETED)
    if any(s in OPEN for s in statuses):
        return TopUpStatus.UNKNOWN
    if completed >= topup.packages:
        return TopUpStatus.COMPLETED
    return TopUpStatus.PARTIAL if completed else TopUpStatus.FAILED


def record_topped_up(topup: TopUp, *, packages: int, found: bool = False) -> None:
    """The SIM's ``quota_topped_up`` event for ``packages`` of ``topup`` applied at 1NCE
    (``found``: learnt by reconciliation rather than from 1NCE's answer)."""
    unit = "bytes" if topup.quota_type == QuotaType.DATA else "SMS"
    volume = packages * package_size(topup.quota_type)
    record_event(
        sim=topup.sim,
        event_type=EventType.QUOTA_TOPPED_UP,
        description=f"Topped up {volume} {unit}" + (" (found applied at 1NCE)." if found else "."),
        details={
            "transaction_id": topup.transaction_id,
            "quota_type": topup.quota_type,
            "packages": packages,
            "order_numbers": order_numbers(topup),
            "source": topup.source,
        },
    )


def settle_topup(topup: TopUp, *, found_applied: int) -> None:
    """After some of ``topup``'s calls settled: its status, an event for the packages found
    applied, and its bulk job item once nothing is open any more."""
    with transaction.atomic():
        topup.status = status_of(topup)
        if topup.status == TopUpStatus.COMPLETED and topup.completed_at is None:
            topup.completed_at = timezone.now()
        topup.save(update_fields=["status", "completed_at", "updated_at"])
        if found_applied:
            record_topped_up(topup, packages=found_applied, found=True)
    if topup.job_item_id and topup.status != TopUpStatus.UNKNOWN:
        done = topup.status == TopUpStatus.COMPLETED
        settle_job_item(
            topup.job_item,
            succeeded=done,
            result=topup_result(topup) if done else None,
            error="" if done else f"Top-up {topup.status}: 1NCE did not apply every package.",
        )


def order_numbers(topup: TopUp) -> list[str]:
    return list(
        topup.orders.filter(status=TopUpOrderStatus.COMPLETED)
        .exclude(order_number="")
        .order_by("sequence")
        .values_list("order_number", flat=True)
    )


def topup_result(topup: TopUp) -> dict:
    """A completed top-up as a bulk job item's result."""
    return {
        "iccid": topup.sim.iccid,
        "quota_type": topup.quota_type,
        "volume_added": topup.packages * package_size(topup.quota_type),
        "new_total": topup.new_total,
        "new_remaining": topup.new_remaining,
        "transaction_id": topup.transaction_id,
        "order_numbers": order_numbers(topup),
    }
