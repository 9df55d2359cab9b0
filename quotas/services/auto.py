"""Auto top-up rules (US-015) and the periodic quota check.

1NCE has one auto top-up flag per SIM that buys a package when the *data* quota reaches 1NCE's
own threshold; a data rule pushes it, so a SIM stays covered even while our scheduler is down.
``check_quotas`` re-reads the quota from 1NCE before it spends anything, so a package 1NCE
already added shows as usage back under the threshold and re-arms the rule instead of buying
another.
"""

import structlog
from django.db import transaction
from django.utils import timezone

from accounts.audit import record_audit
from core.context import SYSTEM, Context
from core.errors import DomainError, UpstreamWriteFailed
from core.events import publish
from quotas.models import AutoTopUpRule, Quota, QuotaType, TopUp, TopUpSource, TopUpStatus
from quotas.selectors import threshold_percent
from quotas.services.quota import packages_for, refresh_quotas
from quotas.services.reconcile import settle_topups
from quotas.services.topups import top_up_sim
from sims.events import record_event
from sims.models import EventType, Sim
from sims.selectors import connected_sims, effective_limits_for
from sims.services import onence_client_for
from upstream.exceptions import UpstreamError

logger = structlog.get_logger(__name__)


def configure_auto_topup(
    *,
    organization,
    iccids: list[str],
    quota_type: str,
    threshold_percentage: int,
    topup_amount: int,
    enabled: bool,
    context: Context,
) -> dict:
    """Create or change the rule of each SIM (seed 001's answer: counts and per-SIM details).

    A data rule is pushed to 1NCE first (its auto top-up flag); if 1NCE refuses, nothing
    changes and the upstream error is raised.
    """
    packages_for(quota_type=quota_type, volume=topup_amount, field="topup_amount")
    client = onence_client_for(organization=organization)  # a rule needs 1NCE to act on
    sims = {
        sim.iccid: sim
        for sim in Sim.objects.select_related("organization").filter(
            organization=organization, iccid__in=iccids
        )
    }
    known = [iccid for iccid in iccids if iccid in sims]
    if known and quota_type == QuotaType.DATA:
        client.set_auto_top_up(known, enabled=enabled)
    details = []
    with transaction.atomic():
        for iccid in iccids:
            sim = sims.get(iccid)
            if sim is None:
                details.append({"iccid": iccid, "status": "failed", "error": "SIM not found."})
                continue
            AutoTopUpRule.objects.update_or_create(
                sim=sim,
                quota_type=quota_type,
                defaults={
                    "organization": organization,
                    "threshold_percentage": threshold_percentage,
                    "topup_amount": topup_amount,
                    "enabled": enabled,
                    "updated_by": context.actor,
                },
            )
            details.append(
                {
                    "iccid": iccid,
                    "status": "configured",
                    "enabled": enabled,
                    "threshold": threshold_percentage,
                    "topup_amount": topup_amount,
                }
            )
        record_audit(
            operation="AUTO_TOPUP_CONFIGURE",
            resource_type="sim",
            resource_id=",".join(known)[:128],
            organization=organization,
            context=context,
            request_body={
                "sims": iccids,
                "quota_type": quota_type,
                "threshold_percentage": threshold_percentage,
                "topup_amount": topup_amount,
                "enabled": enabled,
            },
            response_status=200,
        )
    configured = sum(1 for row in details if row["status"] == "configured")
    return {
        "configured_sims": configured,
        "failed_sims": len(details) - configured,
        "details": details,
    }


def check_quotas(*, organization=None) -> dict:
    """Evaluate every quota's threshold; run the auto top-up rules (at most once per crossing).

    SIMs with an enabled rule are re-read from 1NCE first; the others are judged on the
    mirrored quota (refreshed by reads, top-ups and syncs), which costs no upstream call.
    Returns counts: ``checked``, ``crossed``, ``topped_up``, ``errors``.
    """
    stats = {"checked": 0, "crossed": 0, "topped_up": 0, "errors": 0}
    rules = AutoTopUpRule.objects.filter(enabled=True, sim__in=connected_sims()).select_related(
        "sim__organization", "last_topup"
    )
    if organization is not None:
        rules = rules.filter(organization=organization)
    by_sim: dict[int, list[AutoTopUpRule]] = {}
    for rule in rules.order_by("sim_id", "quota_type"):
        by_sim.setdefault(rule.sim_id, []).append(rule)
    for sim_rules in by_sim.values():
        sim = sim_rules[0].sim
        try:
            quotas = refresh_quotas(sim=sim)
        except UpstreamError as exc:
            stats["errors"] += 1
            logger.warning("check_quotas_refresh_failed", iccid=sim.iccid, error=str(exc))
            continue
        for rule in sim_rules:
            stats["checked"] += 1
            quota = quotas[rule.quota_type]
            _evaluate(
                quota=quota, sim=sim, rule=rule, threshold=rule.threshold_percentage, stats=stats
            )
    others = (
        Quota.objects.exclude(sim_id__in=list(by_sim))
        .filter(volume__gt=0, remaining__isnull=False)
        .select_related("sim__organization")
        .order_by("id")
    )
    if organization is not None:
        others = others.filter(sim__organization=organization)
    for batch in _batches(others, CHECK_BATCH):
        # Two queries per batch, however many quotas: their (disabled) rules and limits.
        sims = {quota.sim_id: quota.sim for quota in batch}
        rules = {
            (rule.sim_id, rule.quota_type): rule
            for rule in AutoTopUpRule.objects.filter(sim_id__in=list(sims))
        }
        limits = effective_limits_for(sims.values())
        for quota in batch:
            stats["checked"] += 1
            rule = rules.get((quota.sim_id, quota.quota_type))
            threshold = threshold_percent(rule=rule, limits=limits[quota.sim_id])
            _evaluate(quota=quota, sim=quota.sim, rule=None, threshold=threshold, stats=stats)
    logger.info("check_quotas_finished", **stats)
    return stats


CHECK_BATCH = 500


def _batches(queryset, size: int):
    batch = []
    for row in queryset.iterator(chunk_size=size):
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _evaluate(
    *, quota: Quota, sim: Sim, rule: AutoTopUpRule | None, threshold: int, stats: dict
) -> None:
    used = quota.percentage_used
    if used is None:
        return
    _flag_depletion(quota=quota, sim=sim)
    if used < threshold:
        if quota.threshold_crossed_at is not None:  # back under: re-arm for the next crossing
            Quota.objects.filter(pk=quota.pk).update(threshold_crossed_at=None)
        return
    if quota.threshold_crossed_at is None:
        quota.threshold_crossed_at = timezone.now()
        stats["crossed"] += 1
        with transaction.atomic():
            Quota.objects.filter(pk=quota.pk).update(
                threshold_crossed_at=quota.threshold_crossed_at
            )
            record_event(
                sim=sim,
                event_type=EventType.QUOTA_THRESHOLD_REACHED,
                description=f"{quota.get_quota_type_display()} quota {used}% used "
                f"(threshold {threshold}%).",
                details={
                    "quota_type": quota.quota_type,
                    "threshold": threshold,
                    "percentage_used": used,
                    "current_usage": quota.used,
                    "total_quota": quota.volume,
                },
            )
    if rule is not None and not _topped_up_since(rule, quota.threshold_crossed_at):
        _auto_top_up(rule=rule, sim=sim, used=used, stats=stats)


def _flag_depletion(*, quota: Quota, sim: Sim) -> None:
    """Publish ``quota.depleted`` once when the quota runs out; re-arm when it has volume."""
    depleted = quota.remaining is not None and quota.remaining <= 0
    if depleted == (quota.depleted_at is not None):
        return
    quota.depleted_at = timezone.now() if depleted else None
    with transaction.atomic():
        Quota.objects.filter(pk=quota.pk).update(depleted_at=quota.depleted_at)
        if depleted:
            publish(
                "quota.depleted",
                organization_id=sim.organization_id,
                subject=f"sim:{sim.iccid}",
                data={
                    "iccid": sim.iccid,
                    "quota_type": quota.quota_type,
                    "current_usage": quota.used,
                    "total_quota": quota.volume,
                    "severity": "critical",
                    "tags": sim.tags or [],
                },
            )


def _topped_up_since(rule: AutoTopUpRule, crossed_at) -> bool:
    """Whether this crossing already has a top-up that was (or may have been) applied.

    One whose outcome is unknown is first settled against 1NCE's orders: if 1NCE never
    placed it, the crossing still needs its top-up; while it is pending, nothing is bought."""
    last = rule.last_topup
    if last is None or last.created_at < crossed_at:
        return False
    last.refresh_from_db(fields=["status"])
    if last.status == TopUpStatus.UNKNOWN:
        settle_topups(sims=[rule.sim])
        last.refresh_from_db(fields=["status"])
    return last.status != TopUpStatus.FAILED


def _auto_top_up(*, rule: AutoTopUpRule, sim: Sim, used: float, stats: dict) -> None:
    topup = None
    try:
        topup = top_up_sim(
            sim=sim,
            quota_type=rule.quota_type,
            volume=rule.topup_amount,
            source=TopUpSource.AUTO,
            context=SYSTEM,
        )
    except UpstreamWriteFailed as exc:
        topup = TopUp.objects.filter(transaction_id=exc.details.get("transaction_id")).first()
        logger.warning("auto_topup_not_completed", iccid=sim.iccid, error=str(exc))
    except (DomainError, UpstreamError) as exc:
        stats["errors"] += 1
        logger.warning("auto_topup_failed", iccid=sim.iccid, error=str(exc))
        return
    rule.last_topup = topup
    rule.last_triggered_at = timezone.now()
    rule.save(update_fields=["last_topup", "last_triggered_at", "updated_at"])
    if topup is not None and topup.status == TopUpStatus.COMPLETED:
        stats["topped_up"] += 1
    logger.info(
        "auto_topup",
        iccid=sim.iccid,
        quota_type=rule.quota_type,
        threshold=rule.threshold_percentage,
        percentage_used=used,
        amount=rule.topup_amount,
        transaction_id=getattr(topup, "transaction_id", None),
        status=getattr(topup, "status", "failed"),
    )
