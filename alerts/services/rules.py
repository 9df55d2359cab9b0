"""Alert rules: which events open alerts, grouped per subject, notified once, resolved when
the condition clears.

``evaluate`` is the outbox consumer. An event that matches a rule joins the rule's live alert
of the same subject if one saw an event within the deduplication window, or opens one. A rule
with ``notify_after_minutes`` holds a new alert as pending that long (connectivity lost for
15 minutes) and drops it silently if the condition clears first. Events that clear a
condition (``CLEARED_BY``) resolve the live alerts of their subject and notify once.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.audit import record_audit
from alerts.models import Alert, AlertRule, AlertStatus, ChannelType, NotificationKind, Webhook
from alerts.patterns import matches, validate_patterns, validate_receiver_url
from alerts.services.notifications import notify
from core.context import Context
from core.errors import Conflict, InvalidInput
from core.models import DomainEvent

# What clears what: the event on the left resolves live alerts of these types, same subject.
CLEARED_BY: dict[str, tuple[str, ...]] = {
    "connectivity.restored": ("connectivity.lost",),
    "quota.topped_up": ("quota.threshold_reached", "quota.depleted", "limit.approached"),
    "outage.resolved": (
        "outage.created",
        "outage.assigned",
        "outage.breach_imminent",
        "outage.breached",
    ),
    "payment.completed": ("payment.failed",),
}

LIVE = (AlertStatus.PENDING, AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED)

# One scale for SIM event severities (info, warning, critical) and outage severities.
SEVERITY_RANK = {"info": 0, "low": 1, "warning": 2, "medium": 2, "high": 3, "critical": 4}
CONDITION_KEYS = {"sim_tags", "min_severity", "min_threshold"}
LIMITS = {
    "dedup_window_minutes": (0, 7 * 24 * 60),
    "notify_after_minutes": (0, 24 * 60),
    "quiet_period_minutes": (0, 7 * 24 * 60),
}


# --- rules ------------------------------------------------------------------------------


def create_rule(*, organization, values: dict, context: Context) -> AlertRule:
    cleaned = _clean(organization, values, partial=False)
    with transaction.atomic():
        if AlertRule.objects.filter(organization=organization, name=cleaned["name"]).exists():
            raise Conflict("A rule with this name already exists.", details={"field": "name"})
        rule = AlertRule.objects.create(organization=organization, **cleaned)
        _audit("CREATE_ALERT_RULE", "alert_rule", rule.pk, organization, context, cleaned)
    return rule


def update_rule(*, rule: AlertRule, values: dict, context: Context) -> AlertRule:
    cleaned = _clean(rule.organization, values, partial=True)
    with transaction.atomic():
        name = cleaned.get("name")
        if (
            name
            and AlertRule.objects.filter(organization=rule.organization, name=name)
            .exclude(pk=rule.pk)
            .exists()
        ):
            raise Conflict("A rule with this name already exists.", details={"field": "name"})
        for field, value in cleaned.items():
            setattr(rule, field, value)
        rule.save()
        _audit("UPDATE_ALERT_RULE", "alert_rule", rule.pk, rule.organization, context, cleaned)
    return rule


def delete_rule(*, rule: AlertRule, context: Context) -> None:
    with transaction.atomic():
        _audit("DELETE_ALERT_RULE", "alert_rule", rule.pk, rule.organization, context, {})
        rule.delete()


def _clean(organization, values: dict, *, partial: bool) -> dict:
    fields = {"name", "event_types", "conditions", "channels", "is_active", *LIMITS}
    unknown = set(values) - fields
    if unknown:
        raise InvalidInput(dict.fromkeys(sorted(unknown), "Unknown field."))
    required = {"name", "event_types", "channels"}
    missing = set() if partial else required - set(values)
    if missing:
        raise InvalidInput(dict.fromkeys(sorted(missing), "This field is required."))
    cleaned = dict(values)
    if "name" in values:
        name = str(values["name"] or "").strip()
        if not name or len(name) > 120:
            raise InvalidInput({"name": "Give a name of 1 to 120 characters."})
        cleaned["name"] = name
    if "event_types" in values:
        cleaned["event_types"] = validate_patterns(values["event_types"])
    if "conditions" in values:
        cleaned["conditions"] = _clean_conditions(values["conditions"] or {})
    if "channels" in values:
        cleaned["channels"] = _clean_channels(organization, values["channels"])
    for field, (low, high) in LIMITS.items():
        if field in values:
            value = values[field]
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                raise InvalidInput({field: f"Give whole minutes from {low} to {high}."})
    if "is_active" in values and not isinstance(values["is_active"], bool):
        raise InvalidInput({"is_active": "Must be true or false."})
    return cleaned


def _clean_conditions(conditions) -> dict:
    if not isinstance(conditions, dict):
        raise InvalidInput({"conditions": "Must be an object."})
    unknown = set(conditions) - CONDITION_KEYS
    if unknown:
        raise InvalidInput(
            {("conditions", key): "Unknown condition." for key in sorted(unknown)},
            details={"allowed_values": sorted(CONDITION_KEYS)},
        )
    tags = conditions.get("sim_tags")
    if tags is not None and (
        not isinstance(tags, list) or not all(isinstance(t, str) and t for t in tags)
    ):
        raise InvalidInput({("conditions", "sim_tags"): "Must be a list of tags."})
    severity = conditions.get("min_severity")
    if severity is not None and severity not in SEVERITY_RANK:
        raise InvalidInput(
            {("conditions", "min_severity"): "Unknown severity."},
            details={"allowed_values": list(SEVERITY_RANK)},
        )
    threshold = conditions.get("min_threshold")
    if threshold is not None and (
        not isinstance(threshold, int | float)
        or isinstance(threshold, bool)
        or not 0 <= threshold <= 100
    ):
        raise InvalidInput({("conditions", "min_threshold"): "Give a percentage from 0 to 100."})
    return conditions


def _clean_channels(organization, channels) -> list[dict]:
    if not isinstance(channels, list) or not channels:
        raise InvalidInput({"channels": "Give at least one channel."})
    cleaned = []
    for index, channel in enumerate(channels):
        loc = ("channels", index)
        kind = channel.get("type") if isinstance(channel, dict) else None
        if kind == ChannelType.EMAIL:
            to = channel.get("to", "admins")
            if to != "admins" and (
                not isinstance(to, list) or not all(isinstance(a, str) and "@" in a for a in to)
            ):
                raise InvalidInput({(*loc, "to"): 'Give "admins" or a list of e-mail addresses.'})
            cleaned.append({"type": kind, "to": to})
        elif kind == ChannelType.SLACK:
            cleaned.append(
                {"type": kind, "url": validate_receiver_url(channel.get("url", ""), field="url")}
            )
        elif kind == ChannelType.WEBHOOK:
            webhook_id = channel.get("webhook_id")
            if not Webhook.objects.filter(pk=webhook_id, organization=organization).exists():
                raise InvalidInput({(*loc, "webhook_id"): "No such webhook in this organization."})
            cleaned.append({"type": kind, "webhook_id": webhook_id})
        else:
            raise InvalidInput(
                {(*loc, "type"): "Unknown channel type."},
                details={"allowed_values": list(ChannelType.values)},
            )
    return cleaned


# --- alerts -----------------------------------------------------------------------------


def evaluate(event: DomainEvent) -> None:
    """Outbox consumer: resolve what the event clears, then group it into its rules' alerts."""
    if event.organization_id is None:
        return
    cleared = CLEARED_BY.get(event.name)
    if cleared:
        _resolve_cleared(event, cleared)
    rules = [
        rule
        for rule in AlertRule.objects.filter(organization_id=event.organization_id, is_active=True)
        if matches(rule.event_types, event.name) and _conditions_hold(rule.conditions, event)
    ]
    for rule in rules:
        _group(rule, event)


def _conditions_hold(conditions: dict, event: DomainEvent) -> bool:
    data = event.data
    severity = conditions.get("min_severity")
    if severity is not None:
        rank = SEVERITY_RANK.get(str(data.get("severity", "")).lower())
        if rank is None or rank < SEVERITY_RANK[severity]:
            return False
    threshold = conditions.get("min_threshold")
    if threshold is not None:
        value = data.get("threshold", data.get("percentage_used"))
        if not isinstance(value, int | float) or value < threshold:
            return False
    tags = conditions.get("sim_tags")
    return not tags or bool(set(tags) & set(data.get("tags") or []))


def _live_alert(rule: AlertRule, event: DomainEvent) -> Alert | None:
    window_start = event.occurred_at - timedelta(minutes=rule.dedup_window_minutes)
    return (
        Alert.objects.select_for_update()
        .filter(rule=rule, subject=event.subject, status__in=LIVE, last_event_at__gte=window_start)
        .order_by("-last_event_at")
        .first()
    )


def _group(rule: AlertRule, event: DomainEvent) -> None:
    alert = _live_alert(rule, event)
    if alert is None:
        # About to open one: two dispatchers with events of one subject must not both open
        # it. The rule's row serialises them; the second looks again once the first committed.
        AlertRule.objects.select_for_update().filter(pk=rule.pk).first()
        alert = _live_alert(rule, event)
    if alert is not None:
        alert.event_count += 1
        alert.last_event_at = max(alert.last_event_at, event.occurred_at)
        alert.save(update_fields=["event_count", "last_event_at"])
        alert.events.add(event)
        return
    pending = rule.notify_after_minutes > 0
    alert = Alert.objects.create(
        organization_id=event.organization_id,
        rule=rule,
        subject=event.subject,
        event_type=event.name,
        title=_title(event),
        severity=str(event.data.get("severity") or "warning").lower(),
        status=AlertStatus.PENDING if pending else AlertStatus.OPEN,
        first_event_at=event.occurred_at,
        last_event_at=event.occurred_at,
        notify_at=event.occurred_at + timedelta(minutes=rule.notify_after_minutes),
    )
    alert.events.add(event)
    if not pending:
        _notify_opened(alert)


def _resolve_cleared(event: DomainEvent, cleared: tuple[str, ...]) -> None:
    live = Alert.objects.select_for_update().filter(
        organization_id=event.organization_id,
        subject=event.subject,
        event_type__in=cleared,
        status__in=LIVE,
    )
    for alert in live:
        _resolve(alert, resolution=f"Cleared by {event.name}.", at=event.occurred_at)
        alert.events.add(event)


def open_due_alerts() -> int:
    """Periodic: pending alerts whose condition lasted the rule's ``notify_after`` open now."""
    opened = 0
    with transaction.atomic():
        due = Alert.objects.select_for_update(skip_locked=True).filter(
            status=AlertStatus.PENDING, notify_at__lte=timezone.now()
        )
        for alert in due.select_related("rule"):
            alert.status = AlertStatus.OPEN
            alert.save(update_fields=["status"])
            _notify_opened(alert)
            opened += 1
    return opened


def acknowledge(*, alert: Alert, context: Context) -> Alert:
    with transaction.atomic():
        alert = Alert.objects.select_for_update().get(pk=alert.pk)
        if alert.status not in (AlertStatus.OPEN, AlertStatus.PENDING):
            raise Conflict(f"The alert is {alert.get_status_display().lower()}.")
        alert.status = AlertStatus.ACKNOWLEDGED
        alert.acknowledged_at = timezone.now()
        alert.acknowledged_by = context.actor
        alert.save(update_fields=["status", "acknowledged_at", "acknowledged_by"])
        _audit("ACKNOWLEDGE_ALERT", "alert", alert.pk, alert.organization, context, {})
    return alert


def resolve(*, alert: Alert, context: Context, resolution: str = "") -> Alert:
    with transaction.atomic():
        alert = Alert.objects.select_for_update().get(pk=alert.pk)
        if alert.status == AlertStatus.RESOLVED:
            raise Conflict("The alert is already resolved.")
        _resolve(alert, resolution=resolution or "Resolved by hand.", by=context.actor)
        _audit(
            "RESOLVE_ALERT",
            "alert",
            alert.pk,
            alert.organization,
            context,
            {"resolution": resolution},
        )
    return alert


def _resolve(alert: Alert, *, resolution: str, at=None, by=None) -> None:
    was_notified = alert.notified_at is not None
    alert.status = AlertStatus.RESOLVED
    alert.resolved_at = at or timezone.now()
    alert.resolved_by = by
    alert.resolution = resolution[:200]
    alert.save(update_fields=["status", "resolved_at", "resolved_by", "resolution"])
    if was_notified:
        notify(alert, NotificationKind.RESOLVED)


def _notify_opened(alert: Alert) -> None:
    quiet = alert.rule.quiet_period_minutes
    if quiet:
        since = alert.first_event_at - timedelta(minutes=quiet)
        recently = Alert.objects.filter(
            rule=alert.rule, subject=alert.subject, notified_at__gte=since
        ).exclude(pk=alert.pk)
        if recently.exists():
            return
    alert.notified_at = timezone.now()
    alert.save(update_fields=["notified_at"])
    notify(alert, NotificationKind.OPENED)


def _title(event: DomainEvent) -> str:
    what = event.name.replace(".", " ").replace("_", " ")
    return f"{what[:1].upper()}{what[1:]}: {event.subject}" if event.subject else what


def _audit(operation, resource_type, resource_id, organization, context: Context, body) -> None:
    record_audit(
        operation=operation,
        resource_type=resource_type,
        resource_id=resource_id,
        user=context.actor,
        organization=organization,
        request_body=body,
    )
