"""Default alert rules for an organization."""

from alerts.defaults import ADMINS_BY_EMAIL, DEFAULT_RULES
from alerts.models import AlertRule


def ensure_default_rules(organization) -> int:
    """Create the default rules the organization lacks (by name); returns how many."""
    existing = set(
        AlertRule.objects.filter(organization=organization).values_list("name", flat=True)
    )
    rows = [
        AlertRule(organization=organization, channels=ADMINS_BY_EMAIL, is_default=True, **rule)
        for rule in DEFAULT_RULES
        if rule["name"] not in existing
    ]
    AlertRule.objects.bulk_create(rows)
    return len(rows)
