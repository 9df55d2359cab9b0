"""SLA evaluation of a resolved outage: the pure rule (``outages.sla``) on its timestamps and
the terms in force, recorded once."""

from django.db import IntegrityError, transaction

from core.context import Context
from core.errors import Conflict
from outages import sla
from outages.models import (
    Outage,
    OutageEventKind,
    SlaConfig,
    SlaResult,
    TimelineKind,
)
from outages.services.sla_configs import current_config, terms_of
from outages.services.timeline import add_timeline_entry, emit_event


def describe(result: SlaResult) -> str:
    if result.status == sla.VIOLATED:
        money = f"penalty {-result.amount}"
    else:
        money = f"reward {result.amount} ({result.performance_rating})"
    return (
        f"SLA {result.status}: MTTR {result.mttr_minutes} min of {result.threshold_minutes}, "
        f"{money}, terms v{result.config.version}"
    )


def evaluate_sla(*, outage: Outage, context: Context) -> tuple[SlaResult, bool]:
    """The outage's SLA result and whether this call recorded it.

    Recorded once per outage: evaluating again (the API, the watch, a retried task) answers the
    stored result and writes nothing, so no second result and no second payment can follow. A
    conflict if the outage is not resolved.
    """
    existing = SlaResult.objects.select_related("config").filter(outage=outage).first()
    if existing is not None:
        return existing, False
    if not outage.is_resolved or outage.resolved_at is None:
        raise Conflict(
            "The outage is not resolved: its SLA is evaluated when it is.",
            details={"field": "status", "status": outage.status},
        )
    config: SlaConfig = current_config(organization=outage.organization, severity=outage.severity)
    outcome = sla.evaluate_outage(outage.detected_at, outage.resolved_at, terms_of(config))
    try:
        with transaction.atomic():
            result = SlaResult.objects.create(
                outage=outage,
                organization_id=outage.organization_id,
                config=config,
                status=outcome.status,
                mttr_minutes=outcome.mttr_minutes,
                threshold_minutes=outcome.threshold_minutes,
                ratio=outcome.ratio,
                amount=outcome.amount,
                performance_rating=outcome.performance_rating,
                payment_type=outcome.payment_type,
                detected_at=outage.detected_at,
                resolved_at=outage.resolved_at,
            )
    except IntegrityError:  # a concurrent evaluation recorded it first
        return SlaResult.objects.select_related("config").get(outage=outage), False
    Outage.objects.filter(pk=outage.pk).update(sla_met=outcome.status == sla.MET)
    outage.sla_met = outcome.status == sla.MET
    add_timeline_entry(
        outage=outage,
        kind=TimelineKind.SLA_EVALUATED,
        event=describe(result),
        context=context,
        details={
            "status": result.status,
            "amount": str(result.amount),
            "config_version": config.version,
        },
    )
    emit_event(
        outage=outage,
        kind=OutageEventKind.SLA_CALCULATED,
        payload={
            "status": result.status,
            "mttr_minutes": result.mttr_minutes,
            "threshold_minutes": result.threshold_minutes,
            "amount": str(result.amount),
            "payment_type": result.payment_type,
            "performance_rating": result.performance_rating,
            "config_version": config.version,
        },
    )
    return result, True
