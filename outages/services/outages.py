"""Outages: create, change, resolve and reopen, with the timeline, events and audit they owe."""

from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core.context import Context
from core.errors import InvalidInput, PermissionDenied
from outages import sla
from outages.models import (
    OPEN_STATUSES,
    Outage,
    OutageEventKind,
    OutageSequence,
    OutageStatus,
    Severity,
    TimelineKind,
    TimestampSource,
)
from outages.services.evaluation import evaluate_sla
from outages.services.timeline import actor_name, add_timeline_entry, audit, emit_event

# Fields a change may carry besides status, resolved_at and assigned_to.
PLAIN_FIELDS = (
    "site_name",
    "site_id",
    "description",
    "root_cause",
    "resolution_notes",
    "affected_services",
    "affected_subscribers",
    "latitude",
    "longitude",
)


def field_error(field: str, message: str, *, allowed_values=None) -> InvalidInput:
    """Seed 004's validation error: ``details.field`` (and ``details.allowed_values``)."""
    details = {"field": field}
    if allowed_values is not None:
        details["allowed_values"] = list(allowed_values)
    return InvalidInput({field: message}, message=message, details=details)


def next_number(organization) -> int:
    """The organization's next outage number. The sequence row stays locked until the
    caller's transaction ends, so concurrent creates queue for it and never share a number."""
    OutageSequence.objects.get_or_create(organization=organization)
    OutageSequence.objects.filter(organization=organization).update(
        last_number=F("last_number") + 1
    )
    return OutageSequence.objects.get(organization=organization).last_number


def resolve_assignee(*, organization, value):
    """The user an outage is assigned to: a user of ``organization`` by username or id."""
    if value in (None, ""):
        return None
    users = get_user_model().objects.filter(organization=organization, is_active=True)
    text = str(value).strip()
    user = users.filter(username=text).first()
    if user is None and text.isdigit():
        user = users.filter(pk=int(text)).first()
    if user is None:
        raise field_error("assigned_to", f"No user {text!r} in this organization.")
    return user


def _check_not_future(field: str, value: datetime, now: datetime) -> None:
    if value > now:
        raise field_error(field, f"{field} cannot be in the future.")


@transaction.atomic
def create_outage(
    *,
    organization,
    site_name: str,
    severity: str,
    context: Context,
    site_id: str = "",
    description: str = "",
    affected_services: list | None = None,
    affected_subscribers: int = 0,
    latitude=None,
    longitude=None,
    assigned_to=None,
    detected_at: datetime | None = None,
    evidence: dict | None = None,
) -> Outage:
    """Record a new outage (active), numbered ``OUT000123`` within its organization.

    ``evidence`` (what the sites correlation saw: the SIM and event behind ``detected_at``)
    marks ``detected_at`` as taken from evidence rather than typed, and goes on the timeline.
    """
    now = timezone.now()
    if severity not in Severity.values:
        raise field_error(
            "severity", "Invalid outage severity level", allowed_values=Severity.values
        )
    detected_at = detected_at or now
    _check_not_future("detected_at", detected_at, now)
    assignee = resolve_assignee(organization=organization, value=assigned_to)
    outage = Outage.objects.create(
        organization=organization,
        number=next_number(organization),
        site_name=site_name,
        site_id=site_id,
        severity=severity,
        detected_at=detected_at,
        description=description,
        affected_services=list(affected_services or []),
        affected_subscribers=affected_subscribers or 0,
        latitude=latitude,
        longitude=longitude,
        assigned_to=assignee,
        created_by=context.actor,
        detected_at_source=TimestampSource.EVIDENCE if evidence else TimestampSource.PERSON,
    )
    add_timeline_entry(
        outage=outage,
        kind=TimelineKind.CREATED,
        event="Outage detected" + (" from SIM evidence" if evidence else ""),
        context=context,
        at=detected_at,
        details={"evidence": evidence} if evidence else None,
    )
    emit_event(
        outage=outage,
        kind=OutageEventKind.CREATED,
        payload={"severity": severity, "site_name": site_name},
        at=detected_at,
    )
    if assignee is not None:
        _record_assignment(outage, assignee, context)
    audit(operation="create_outage", outage=outage, context=context, body={"severity": severity})
    return outage


def _record_assignment(outage: Outage, assignee, context: Context) -> None:
    name = assignee.get_username() if assignee is not None else None
    add_timeline_entry(
        outage=outage,
        kind=TimelineKind.ASSIGNED,
        event=f"Assigned to {name}" if name else "Unassigned",
        context=context,
        details={"assigned_to": name},
    )
    if assignee is not None:
        emit_event(outage=outage, kind=OutageEventKind.ASSIGNED, payload={"assigned_to": name})


@transaction.atomic
def update_outage(
    *, outage: Outage, changes: dict, context: Context, evidence: dict | None = None
) -> tuple[Outage, bool]:
    """Apply ``changes`` to ``outage`` under the transition rules; answer the outage and whether
    an SLA evaluation was triggered (seed 004's ``sla_triggered``).

    ``evidence`` (the sites correlation's resolution: the SIM and event behind it) marks the
    ``resolved_at`` it sets as taken from evidence. A person changing a timestamp taken from
    evidence must give ``changes["reason"]``; it goes on the timeline and the timestamp is
    then the person's.

    - resolving sets ``resolved_at`` (now when not given); it must not precede ``detected_at``
      nor lie in the future; MTTR follows from the timestamps and the SLA is evaluated;
    - a resolved outage is reopened only by an admin, on the timeline;
    - a resolved outage's severity and timestamps are fixed;
    - nothing is changed when any rule refuses.
    """
    outage = Outage.objects.select_for_update().select_related("organization").get(pk=outage.pk)
    now = timezone.now()
    was_resolved = outage.is_resolved
    status = changes.get("status", outage.status)
    if status not in OutageStatus.values:
        raise field_error("status", "Invalid outage status", allowed_values=OutageStatus.values)
    severity = changes.get("severity", outage.severity)
    if severity not in Severity.values:
        raise field_error(
            "severity", "Invalid outage severity level", allowed_values=Severity.values
        )
    reopening = was_resolved and status in OPEN_STATUSES
    resolving = not was_resolved and status == OutageStatus.RESOLVED

    if reopening and not context.acts_as_admin:
        raise PermissionDenied(
            "Only an admin may reopen a resolved outage.", details={"field": "status"}
        )
    if was_resolved and not reopening and severity != outage.severity:
        raise field_error("severity", "The severity of a resolved outage cannot change.")
    if "detected_at" in changes and changes["detected_at"] != outage.detected_at:
        if was_resolved:
            raise field_error("detected_at", "The detection time of a resolved outage is fixed.")
        _check_not_future("detected_at", changes["detected_at"], now)
    detected_at = changes.get("detected_at", outage.detected_at)
    corrected = detected_at != outage.detected_at
    from_evidence = outage.detected_at_source == TimestampSource.EVIDENCE
    if corrected and from_evidence and not str(changes.get("reason") or "").strip():
        raise field_error(
            "reason", "detected_at was taken from SIM evidence: a reason is needed to change it."
        )

    resolved_at = changes.get("resolved_at")
    unchanged = was_resolved and not reopening and resolved_at == outage.resolved_at
    if resolved_at is not None and not resolving and not unchanged:
        raise field_error(
            "resolved_at",
            "resolved_at is set when the outage is resolved (status: resolved) and is "
            "fixed afterwards.",
        )
    if resolving:
        resolved_at = resolved_at or now
        if resolved_at < detected_at:
            raise field_error("resolved_at", "resolved_at cannot be before detected_at.")
        _check_not_future("resolved_at", resolved_at, now)

    assignee_changed = "assigned_to" in changes
    if assignee_changed:
        assignee = resolve_assignee(organization=outage.organization, value=changes["assigned_to"])
        assignee_changed = assignee != outage.assigned_to

    # Every rule passed: apply.
    changed = {}
    for field in PLAIN_FIELDS:
        if field in changes and changes[field] != getattr(outage, field):
            setattr(outage, field, changes[field])
            changed[field] = changes[field]
    if severity != outage.severity:
        changed["severity"] = severity
        previous_severity = outage.severity
        outage.severity = severity
    previous_detected_at = outage.detected_at
    if corrected:
        outage.detected_at = detected_at
        outage.detected_at_source = TimestampSource.PERSON
        changed["detected_at"] = detected_at.isoformat()
    if assignee_changed:
        outage.assigned_to = assignee
    previous_status = outage.status
    outage.status = status
    if resolving:
        outage.resolved_at = resolved_at
        outage.resolved_at_source = TimestampSource.EVIDENCE if evidence else TimestampSource.PERSON
        outage.mttr_minutes = sla.whole_minutes(detected_at, resolved_at)
    if reopening:
        outage.resolved_at = None
        outage.resolved_at_source = TimestampSource.PERSON
        outage.mttr_minutes = None
        # The watch's flags stay: each is raised once per outage (its event is unique), and
        # a reopened outage past its threshold is already flagged.
    outage.save()

    if changed:
        add_timeline_entry(
            outage=outage,
            kind=TimelineKind.UPDATED,
            event="Updated "
            + ", ".join(sorted(changed))
            # The SLA terms follow the severity: what it was stays readable.
            + (f" (severity {previous_severity} to {severity})" if "severity" in changed else ""),
            context=context,
            details={
                "fields": sorted(changed),
                **(
                    {"severity": {"from": previous_severity, "to": severity}}
                    if "severity" in changed
                    else {}
                ),
            },
        )
    if corrected:  # the SLA rests on it: what it was, on the timeline, whoever moves it
        reason = str(changes.get("reason") or "").strip()
        add_timeline_entry(
            outage=outage,
            kind=TimelineKind.TIMESTAMP_CORRECTED,
            event=f"detected_at changed by {actor_name(context)} from "
            f"{previous_detected_at:%Y-%m-%d %H:%M:%S} to {detected_at:%Y-%m-%d %H:%M:%S}"
            + (f": {reason}" if reason else ""),
            context=context,
            details={
                "field": "detected_at",
                "from": previous_detected_at.isoformat(),
                "to": detected_at.isoformat(),
                "reason": reason,
            },
        )
    if assignee_changed:
        _record_assignment(outage, outage.assigned_to, context)
    triggered = False
    if resolving:
        add_timeline_entry(
            outage=outage,
            kind=TimelineKind.RESOLVED,
            event="Outage resolved" + (" from SIM evidence" if evidence else ""),
            context=context,
            at=resolved_at,
            details={
                "mttr_minutes": outage.mttr_minutes,
                **({"evidence": evidence} if evidence else {}),
            },
        )
        emit_event(
            outage=outage,
            kind=OutageEventKind.RESOLVED,
            payload={"mttr_minutes": outage.mttr_minutes, "resolved_by": actor_name(context)},
            at=resolved_at,
        )
        result, triggered = evaluate_sla(outage=outage, context=context)
        if not triggered:
            add_timeline_entry(
                outage=outage,
                kind=TimelineKind.SLA_EVALUATED,
                event=f"SLA already recorded ({result.status}); the recorded result stands",
                context=context,
            )
    elif reopening:
        add_timeline_entry(
            outage=outage,
            kind=TimelineKind.REOPENED,
            event=f"Outage reopened ({status})",
            context=context,
            details={"reason": changes.get("resolution_notes", "")},
        )
        emit_event(outage=outage, kind=OutageEventKind.REOPENED, payload={"status": status})
    elif status != previous_status:
        add_timeline_entry(
            outage=outage,
            kind=TimelineKind.STATUS_CHANGED,
            event=f"Status changed to {status}",
            context=context,
            details={"from": previous_status, "to": status},
        )
    audit(
        operation="update_outage",
        outage=outage,
        context=context,
        body={"fields": sorted({*changed, *(["status"] if status != previous_status else [])})},
    )
    return outage, triggered


def resolve_outage(
    *, outage: Outage, context: Context, resolved_at=None, resolution_notes: str | None = None
) -> tuple[Outage, bool]:
    """Resolve ``outage`` (the console's and the demo's shortcut to ``update_outage``)."""
    changes: dict = {"status": OutageStatus.RESOLVED}
    if resolved_at is not None:
        changes["resolved_at"] = resolved_at
    if resolution_notes is not None:
        changes["resolution_notes"] = resolution_notes
    return update_outage(outage=outage, changes=changes, context=context)
