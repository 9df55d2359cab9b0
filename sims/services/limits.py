"""Usage limits: one global set per organization, and per-SIM overrides (US-024, US-025).

Reading them, inheritance included, is ``sims.selectors`` (``effective_limits``)."""

from django.db import transaction

from accounts.audit import record_audit
from core.context import Context
from sims.models import LimitSet, Sim


@transaction.atomic
def set_limits(*, organization, values: dict, context: Context, sim: Sim | None = None):
    """Replace the given limits (global when ``sim`` is None); audited with before/after."""
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
