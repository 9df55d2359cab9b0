"""Usage limits: one global set per organization, and per-SIM overrides (US-024, US-025)."""

from django.db import transaction

from accounts.audit import record_audit
from sims.models import LimitSet, Sim

LIMIT_FIELDS = (
    "daily_data_limit",
    "monthly_data_limit",
    "daily_sms_limit",
    "monthly_sms_limit",
    "enforce_limits",
    "sms_allowed_destinations",
    "sms_blocked_destinations",
    "alert_threshold_percent",
)


def global_limits(*, organization) -> LimitSet:
    limits, _ = LimitSet.objects.get_or_create(organization=organization, sim=None)
    return limits


def sim_limits(*, sim: Sim) -> LimitSet | None:
    return LimitSet.objects.filter(sim=sim).first()


def effective_limits(*, sim: Sim) -> dict:
    """Each limit of the SIM: its own value where set, else the organization's."""
    own = sim_limits(sim=sim)
    base = global_limits(organization=sim.organization)
    effective = {}
    for name in LIMIT_FIELDS:
        value = getattr(own, name) if own is not None else None
        if value in (None, []):
            value = getattr(base, name)
        effective[name] = value
    return effective


@transaction.atomic
def set_limits(*, organization, values: dict, sim: Sim | None = None, actor=None, request=None):
    """Replace the given limits (global when ``sim`` is None); audited with before/after."""
    if sim is None:
        limits = global_limits(organization=organization)
    else:
        limits, _ = LimitSet.objects.get_or_create(organization=organization, sim=sim)
    before = {name: getattr(limits, name) for name in values}
    for name, value in values.items():
        setattr(limits, name, value)
    limits.save()
    record_audit(
        operation="UPDATE_LIMITS",
        resource_type="sim" if sim else "limits",
        resource_id=sim.iccid if sim else organization.slug,
        user=actor,
        organization=organization,
        request=request,
        request_body={"before": before, "after": values},
        response_status=200,
    )
    return limits
