"""Quota reads for the console: who is over its threshold or depleted, top-ups this month."""

from django.db.models import Count, Q, QuerySet, Sum

from quotas.models import Quota, QuotaStatus, TopUp, TopUpStatus


def depleted() -> Q:
    """A quota with nothing left (1NCE says exhausted, or the mirror shows 0 remaining)."""
    return Q(status=QuotaStatus.EXHAUSTED) | Q(remaining__lte=0)


def over_threshold() -> Q:
    """A quota whose use crossed its SIM's threshold (and has not fallen back below)."""
    return Q(threshold_crossed_at__isnull=False)


def quota_counts(quotas: QuerySet[Quota]) -> dict[str, dict[str, int]]:
    """Per quota type: ``total``, ``over_threshold``, ``depleted`` (one query)."""
    rows = (
        quotas.order_by()
        .values("quota_type")
        .annotate(
            total=Count("id"),
            over_threshold=Count("id", filter=over_threshold()),
            depleted=Count("id", filter=depleted()),
        )
    )
    return {row["quota_type"]: row for row in rows}


def topup_totals(topups: QuerySet[TopUp], *, since) -> dict[str, dict[str, int]]:
    """Completed top-ups since ``since`` per quota type: ``count``, ``packages``, ``volume``;
    and how many failed (one query)."""
    rows = (
        topups.filter(created_at__gte=since)
        .order_by()
        .values("quota_type")
        .annotate(
            count=Count("id", filter=Q(status=TopUpStatus.COMPLETED)),
            packages=Sum("packages", filter=Q(status=TopUpStatus.COMPLETED)),
            volume=Sum("volume", filter=Q(status=TopUpStatus.COMPLETED)),
            failed=Count("id", filter=Q(status=TopUpStatus.FAILED)),
        )
    )
    return {row["quota_type"]: row for row in rows}
