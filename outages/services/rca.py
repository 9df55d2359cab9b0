"""Root cause analysis: the post-incident review of a resolved outage."""

from datetime import date

from django.db import transaction
from django.utils import timezone

from core.context import Context
from core.errors import Conflict
from outages.models import Outage, RcaAction, RootCauseAnalysis, RootCauseCategory, TimelineKind
from outages.services.outages import field_error
from outages.services.timeline import add_timeline_entry, audit


@transaction.atomic
def save_rca(
    *,
    outage: Outage,
    category: str,
    context: Context,
    contributing_factors: list[str] | None = None,
    summary: str = "",
    actions: list[dict] | None = None,
) -> RootCauseAnalysis:
    """Create or replace the outage's RCA. ``actions`` is the whole list: each a dict of
    description, owner, due_date, done and, for an action kept from before, its ``id``;
    actions left out are removed. A done action keeps the time it was first marked done."""
    if not outage.is_resolved:
        raise Conflict(
            "A root cause analysis is written for a resolved outage.",
            details={"field": "status", "status": outage.status},
        )
    if category not in RootCauseCategory.values:
        raise field_error(
            "category", "Invalid root cause category", allowed_values=RootCauseCategory.values
        )
    rca, created = RootCauseAnalysis.objects.select_for_update().get_or_create(
        outage=outage,
        defaults={"category": category, "updated_by": context.actor},
    )
    rca.category = category
    rca.contributing_factors = [str(f) for f in (contributing_factors or [])]
    rca.summary = summary
    rca.updated_by = context.actor
    rca.save()

    existing = {a.pk: a for a in rca.actions.all()}
    now = timezone.now()
    kept = set()
    for index, item in enumerate(actions or []):
        action_id = item.get("id")
        action = existing.get(action_id) if action_id is not None else None
        if action_id is not None and action is None:
            raise field_error(f"actions.{index}.id", f"No action {action_id} on this RCA.")
        due = item["due_date"]
        if not isinstance(due, date):
            raise field_error(f"actions.{index}.due_date", "Enter a date.")
        done = bool(item.get("done", False))
        action = action or RcaAction(rca=rca)
        action.description = item["description"]
        action.owner = item["owner"]
        action.due_date = due
        action.done_at = (action.done_at or now) if done else None
        action.done = done
        action.save()
        kept.add(action.pk)
    rca.actions.exclude(pk__in=kept).delete()

    add_timeline_entry(
        outage=outage,
        kind=TimelineKind.RCA_UPDATED,
        event=f"Root cause analysis {'recorded' if created else 'updated'}: {category}",
        context=context,
        details={"category": category, "actions": len(kept)},
    )
    audit(operation="save_rca", outage=outage, context=context, body={"category": category})
    return rca
