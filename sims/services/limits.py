"""Usage limits: one global set per organization, and per-SIM overrides (US-024, US-025).

Reading them, inheritance included, is ``sims.selectors`` (``effective_limits``)."""

from django.db import transaction

from accounts.audit import record_audit
from core.context import Context
from sims.models import LimitSet, Sim


def global_limits(*, organization) -> LimitSet:
    """The organization's own limit set, created empty on first use (its ``updated_at`` then
    says since when the organization's limits stand as they are)."""
    limits, _ = LimitSet.objects.get_or_create(organization=organization, sim=None)
    return limits


@transaction.atomic
def set_limits(*, organization, values: dict, context: Context, sim: Sim | None = None):
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
        organization=organization,
        context=context,
        request_body={"before": before, "after": values},
        response_status=200,
    )
    return limits
