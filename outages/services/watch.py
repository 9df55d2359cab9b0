"""The SLA watch (every minute): flag running outages at the warning share of their threshold
and past it, once each, as events for alerting; evaluate resolved outages left without a
result."""

from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import Organization
from core.context import Context
from outages import sla
from outages.models import OPEN_STATUSES, Outage, OutageEventKind, OutageStatus, TimelineKind
from outages.services.evaluation import evaluate_sla
from outages.services.sla_configs import current_configs, terms_of
from outages.services.timeline import add_timeline_entry, emit_event

# How many resolved outages without a result one run evaluates (the rest wait a minute).
EVALUATE_BATCH = 500


@dataclass
class WatchReport:
    warned: list[str] = field(default_factory=list)
    breached: list[str] = field(default_factory=list)
    evaluated: list[str] = field(default_factory=list)


def _flag(outage: Outage, *, kind: str, context: Context, clock: sla.SlaClock, now) -> None:
    if kind == OutageEventKind.SLA_WARNING:
        outage.sla_warned_at = now
        event = (
            f"SLA at risk: {clock.elapsed_minutes} of {clock.threshold_minutes} min elapsed, "
            f"{clock.time_remaining_minutes} min left"
        )
        timeline_kind = TimelineKind.SLA_WARNING
    else:
        outage.sla_breached_at = now
        event = (
            f"SLA breached: {clock.elapsed_minutes} min since detection, "
            f"threshold {clock.threshold_minutes}"
        )
        timeline_kind = TimelineKind.SLA_BREACHED
    outage.save(update_fields=["sla_warned_at", "sla_breached_at", "updated_at"])
    add_timeline_entry(outage=outage, kind=timeline_kind, event=event, context=context, at=now)
    emit_event(
        outage=outage,
        kind=kind,
        payload={
            "severity": outage.severity,
            "site_name": outage.site_name,
            "elapsed_minutes": clock.elapsed_minutes,
            "threshold_minutes": clock.threshold_minutes,
            "time_remaining_minutes": clock.time_remaining_minutes,
        },
        at=now,
    )


def watch_sla(*, now: datetime | None = None, context: Context | None = None) -> WatchReport:
    """One run of the watch. Safe to run twice at once: rows are claimed with SKIP LOCKED and
    each flag is set once (and the outbox holds one event per outage and kind)."""
    now = now or timezone.now()
    context = context or Context.system(via="task")
    percent = settings.SLA_WARNING_PERCENT
    report = WatchReport()
    open_outages = Outage.objects.filter(resolved_at__isnull=True, status__in=OPEN_STATUSES)
    organization_ids = open_outages.values_list("organization_id", flat=True).distinct()
    for organization in Organization.objects.filter(pk__in=list(organization_ids)):
        for severity, config in current_configs(organization=organization).items():
            terms = terms_of(config)
            mine = open_outages.filter(organization=organization, severity=severity)
            steps = (
                (OutageEventKind.SLA_WARNING, "sla_warned_at", sla.warning_after(terms, percent)),
                (OutageEventKind.SLA_BREACHED, "sla_breached_at", sla.breach_after(terms)),
            )
            for kind, flag, after in steps:
                with transaction.atomic():
                    due = (
                        mine.filter(**{f"{flag}__isnull": True}, detected_at__lte=now - after)
                        # Flagged before (its event is unique) but the flag was since cleared.
                        .exclude(events__kind=kind)
                        .select_for_update(skip_locked=True)
                        .order_by("detected_at", "id")
                    )
                    for outage in due:
                        clock = sla.clock(outage.detected_at, now, terms, percent)
                        _flag(outage, kind=kind, context=context, clock=clock, now=now)
                        target = (
                            report.warned
                            if kind == OutageEventKind.SLA_WARNING
                            else report.breached
                        )
                        target.append(outage.public_id)
    pending = (
        Outage.objects.filter(
            status=OutageStatus.RESOLVED, sla_met__isnull=True, resolved_at__isnull=False
        )
        .select_related("organization")
        .order_by("resolved_at", "id")[:EVALUATE_BATCH]
    )
    for outage in pending:
        with transaction.atomic():
            _, recorded = evaluate_sla(outage=outage, context=context)
        if recorded:
            report.evaluated.append(outage.public_id)
    return report
