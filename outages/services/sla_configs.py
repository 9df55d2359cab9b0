"""SLA terms per organization and severity, versioned: a change is a new version, old versions
stay (results point at the one they used)."""

from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import Max

from accounts.audit import record_audit
from core.context import Context
from core.errors import InvalidInput, PermissionDenied
from outages import sla
from outages.models import Severity, SlaConfig

TERM_FIELDS = ("threshold_minutes", "penalty_per_minute", "reward_base")


def terms_of(config: SlaConfig) -> sla.SlaTerms:
    return sla.SlaTerms(
        threshold_minutes=config.threshold_minutes,
        penalty_per_minute=config.penalty_per_minute,
        reward_base=config.reward_base,
        version=config.version,
    )


def current_configs(*, organization) -> dict[str, SlaConfig]:
    """The version in force per severity; seed 004's defaults become version 1 on first use."""
    configs: dict[str, SlaConfig] = {}
    for config in SlaConfig.objects.filter(organization=organization).order_by(
        "severity", "-version"
    ):
        configs.setdefault(config.severity, config)
    missing = [s for s in Severity.values if s not in configs]
    if missing:
        for severity in missing:
            configs[severity] = _first_version(organization, severity)
    return {s: configs[s] for s in Severity.values}


def _first_version(organization, severity: str) -> SlaConfig:
    defaults = sla.DEFAULT_TERMS[severity]
    try:
        with transaction.atomic():
            return SlaConfig.objects.create(
                organization=organization,
                severity=severity,
                version=1,
                threshold_minutes=defaults.threshold_minutes,
                penalty_per_minute=defaults.penalty_per_minute,
                reward_base=defaults.reward_base,
            )
    except IntegrityError:  # another request made it first
        return SlaConfig.objects.get(organization=organization, severity=severity, version=1)


def current_config(*, organization, severity: str) -> SlaConfig:
    config = (
        SlaConfig.objects.filter(organization=organization, severity=severity)
        .order_by("-version")
        .first()
    )
    return config or _first_version(organization, severity)


def _decimal(value, field: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise InvalidInput({field: "Enter a number."}, details={"field": field}) from None
    if not number.is_finite() or number != number.quantize(sla.CENT):
        raise InvalidInput(
            {field: "Enter a number with at most two decimal places."}, details={"field": field}
        )
    return number


@transaction.atomic
def change_sla_config(*, organization, severity: str, changes: dict, context: Context) -> SlaConfig:
    """A new version of ``severity``'s terms with ``changes`` (any of threshold_minutes,
    penalty_per_minute, reward_base) over the current ones. Admins only; within the bounds of
    ``outages.sla``. Unchanged terms make no new version."""
    if not context.acts_as_admin:
        raise PermissionDenied("Only an organization admin may change SLA terms.")
    if severity not in Severity.values:
        raise InvalidInput(
            {"severity": "Unknown severity."},
            message="Invalid outage severity level",
            details={"field": "severity", "allowed_values": Severity.values},
        )
    unknown = set(changes) - set(TERM_FIELDS)
    if unknown:
        field = sorted(unknown)[0]
        raise InvalidInput(
            {field: "Not an SLA term."},
            details={"field": field, "allowed_values": list(TERM_FIELDS)},
        )
    # Lock the severity's versions so two admins' changes get consecutive numbers.
    current = (
        SlaConfig.objects.select_for_update()
        .filter(organization=organization, severity=severity)
        .order_by("-version")
        .first()
    ) or _first_version(organization, severity)
    values = {field: getattr(current, field) for field in TERM_FIELDS}
    if "threshold_minutes" in changes:
        raw = changes["threshold_minutes"]
        if isinstance(raw, bool) or not isinstance(raw, int | str) or not str(raw).isdigit():
            raise InvalidInput(
                {"threshold_minutes": "Enter a whole number of minutes."},
                details={"field": "threshold_minutes"},
            )
        values["threshold_minutes"] = int(raw)
    for field in ("penalty_per_minute", "reward_base"):
        if field in changes:
            values[field] = _decimal(changes[field], field)
    errors = sla.term_errors(**values)
    if errors:
        field = next(iter(errors))
        raise InvalidInput(errors, message=errors[field], details={"field": field})
    if all(values[f] == getattr(current, f) for f in TERM_FIELDS):
        return current
    latest = SlaConfig.objects.filter(organization=organization, severity=severity).aggregate(
        Max("version")
    )["version__max"]
    config = SlaConfig.objects.create(
        organization=organization,
        severity=severity,
        version=(latest or 0) + 1,
        created_by=context.actor,
        **values,
    )
    record_audit(
        operation="change_sla_config",
        resource_type="sla_config",
        resource_id=f"{severity}:v{config.version}",
        user=context.actor,
        organization=organization,
        request_body={k: str(v) for k, v in values.items()},
    )  # context: address and agent once record_audit takes a Context
    return config
