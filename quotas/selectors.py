"""Quota reads: the current quota (read through from 1NCE), thresholds, rules, last top-up;
for the console, who is over its threshold or depleted and the top-ups of a period."""

from datetime import timedelta

import structlog
from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from core.errors import NotFound
from quotas.models import AutoTopUpRule, Quota, QuotaStatus, TopUp, TopUpStatus
from sims.models import Sim
from sims.selectors import EffectiveLimits, effective_limits
from upstream.exceptions import UpstreamError

logger = structlog.get_logger(__name__)


def threshold_percent(*, rule: AutoTopUpRule | None, limits: EffectiveLimits | None) -> int:
    """Percent used at which a quota counts as "threshold reached": the auto top-up rule's
    (enabled or not), else the SIM's limits' (own, organization's, then the settings'), which
    are needed only without a rule."""
    return rule.threshold_percentage if rule is not None else limits.threshold_percent


def rule_for(*, sim: Sim, quota_type: str) -> AutoTopUpRule | None:
    return AutoTopUpRule.objects.filter(sim=sim, quota_type=quota_type).first()


def threshold_for(*, sim: Sim, quota_type: str) -> int:
    """:func:`threshold_percent` of one SIM's quota (for a batch, load rules and limits once:
    see ``quotas.services.auto.check_quotas``)."""
    rule = rule_for(sim=sim, quota_type=quota_type)
    if rule is not None:
        return rule.threshold_percentage
    return effective_limits(sim=sim).threshold_percent


def topup_of(*, sim: Sim, transaction_id: str) -> TopUp:
    """The SIM's top-up ``transaction_id`` with its package calls; ``NotFound`` otherwise."""
    topup = (
        TopUp.objects.select_related("sim")
        .prefetch_related("orders")
        .filter(sim=sim, transaction_id=transaction_id)
        .first()
    )
    if topup is None:
        raise NotFound("Not found.")
    return topup


def last_completed_topup(*, sim: Sim) -> TopUp | None:
    return (
        TopUp.objects.filter(sim=sim, status=TopUpStatus.COMPLETED)
        .order_by("-completed_at", "-id")
        .first()
    )


def current_quota(*, sim: Sim, quota_type: str) -> tuple[Quota, bool]:
    """The SIM's quota for the API: refreshed from 1NCE when older than
    ``QUOTA_REFRESH_SECONDS``; the stored one (``stale`` True) when 1NCE cannot be read.

    Raises the upstream error only when nothing was ever stored.
    """
    from quotas.services.quota import refresh_quotas  # a read through: writes the mirror

    quota = Quota.objects.filter(sim=sim, quota_type=quota_type).first()
    fresh_after = timezone.now() - timedelta(seconds=settings.QUOTA_REFRESH_SECONDS)
    if quota is not None and quota.refreshed_at and quota.refreshed_at >= fresh_after:
        return quota, False
    try:
        return refresh_quotas(sim=sim)[quota_type], False
    except UpstreamError as exc:
        if quota is None or quota.refreshed_at is None:
            raise
        logger.warning("quota_refresh_failed", iccid=sim.iccid, error=str(exc))
        return quota, True


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
