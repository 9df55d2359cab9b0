"""Reads: payments in a caller's scope, history summaries and analytics, wallets."""

from datetime import UTC, datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Count, DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, TruncDay, TruncMonth, TruncWeek

from core.errors import InvalidInput, NotFound
from core.moments import moment_of
from core.tenancy import scope_to_organization
from payments.models import LedgerStatus, Payment, PaymentType, Wallet

NO_AMOUNT = Decimal("0")
ZERO = Value(NO_AMOUNT, output_field=DecimalField(max_digits=19, decimal_places=7))
GROUPS = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}


def payments_for(user) -> QuerySet[Payment]:
    return scope_to_organization(Payment.objects.all(), user).order_by("-created_at", "-id")


def parse_moment(value: str | None, *, name: str, end: bool = False) -> datetime | None:
    """A date (``2026-01-16``: the day's start, or its end with ``end``) or an ISO 8601
    date-time; 422 for anything else."""
    if not value:
        return None
    moment = moment_of(value, end=end)
    if moment is None:
        raise InvalidInput({name: "Use a date (YYYY-MM-DD) or an ISO 8601 date-time."})
    return moment


def in_period(queryset: QuerySet, start: datetime | None, end: datetime | None) -> QuerySet:
    if start and end and start > end:
        raise InvalidInput({"start_date": "start_date is after end_date."})
    if start:
        queryset = queryset.filter(created_at__gte=start)
    if end:
        queryset = queryset.filter(created_at__lte=end)
    return queryset


def _sum(payment_type: str | None = None):
    condition = Q(status=LedgerStatus.CONFIRMED)
    if payment_type:
        condition &= Q(payment_type=payment_type)
    return Coalesce(Sum("amount", filter=condition), ZERO)


def _totals(queryset: QuerySet[Payment]) -> tuple[int, int, dict[str, Decimal]]:
    """How many payments ``queryset`` holds, how many of them are confirmed and the confirmed
    amount by type, in one query: grouped by status and type, plain counts and sums (filtered
    aggregates, one per figure, took Django longer to build each time than the database to
    answer)."""
    rows = (
        queryset.order_by()
        .values_list("status", "payment_type")
        .annotate(Count("pk"), Sum("amount"))
    )
    total, confirmed, amounts = 0, 0, {}
    for status, payment_type, count, amount in rows:
        total += count
        if status == LedgerStatus.CONFIRMED:
            confirmed += count
            amounts[payment_type] = amount
    return total, confirmed, amounts


def _net(amounts: dict[str, Decimal]) -> dict:
    penalties = amounts.get(PaymentType.PENALTY, NO_AMOUNT)
    rewards = amounts.get(PaymentType.REWARD, NO_AMOUNT)
    return {
        "total_penalties": penalties,
        "total_rewards": rewards,
        "net_amount": rewards - penalties,
    }


def summary(queryset: QuerySet[Payment]) -> dict:
    """Confirmed penalties and rewards of ``queryset`` and their net (rewards - penalties), with
    the count and average amount of its confirmed payments, in one query."""
    _, count, amounts = _totals(queryset)
    average = sum(amounts.values(), NO_AMOUNT) / count if count else NO_AMOUNT
    return {
        **_net(amounts),
        "transaction_count": count,
        "average_transaction_amount": average.quantize(Decimal("0.0000001")),
    }


def history_totals(queryset: QuerySet[Payment]) -> tuple[int, dict]:
    """How many payments ``queryset`` holds (the history's total) and their summary (confirmed
    penalties, rewards and net), in one query."""
    total, _, amounts = _totals(queryset)
    return total, _net(amounts)


def trends(queryset: QuerySet[Payment], *, group_by: str) -> list[dict]:
    """Confirmed penalties, rewards, net and count per day, week or month, oldest first, in
    one query (periods without payments are absent)."""
    if group_by not in GROUPS:
        raise InvalidInput({"group_by": f"One of {', '.join(GROUPS)}."})
    rows = (
        queryset.filter(status=LedgerStatus.CONFIRMED)
        .annotate(period=GROUPS[group_by]("created_at", tzinfo=UTC))
        .values("period")
        .annotate(
            penalties=_sum(PaymentType.PENALTY), rewards=_sum(PaymentType.REWARD), count=Count("id")
        )
        .order_by("period")
    )
    return [
        {
            "date": row["period"].date().isoformat(),
            "penalties": row["penalties"],
            "rewards": row["rewards"],
            "net": row["rewards"] - row["penalties"],
            "count": row["count"],
        }
        for row in rows
    ]


def organization_user(*, user_id, viewer):
    """The user of the viewer's organization that ``user_id`` names: their id, or their
    username (seed 004 names its engineer ``user123``); None for anyone else."""
    reference = str(user_id)
    users = scope_to_organization(get_user_model().objects.all(), viewer)
    if reference.isdigit():
        user = users.filter(pk=int(reference)).first()
        if user is not None:
            return user
    return users.filter(username=reference).first()


def wallet_for_user(*, user_id, viewer) -> Wallet:
    """The wallet of user ``user_id`` (id or username) in the viewer's organization; 404
    otherwise."""
    user = organization_user(user_id=user_id, viewer=viewer)
    wallets = scope_to_organization(Wallet.objects.select_related("user", "organization"), viewer)
    wallet = wallets.filter(user=user).first() if user is not None else None
    if wallet is None:
        raise NotFound("No wallet for this user.", details={"user_id": user_id})
    return wallet
