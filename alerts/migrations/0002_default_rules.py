"""Give every existing organization the default alert rules (new ones get them on creation)."""

from django.db import migrations

from alerts.defaults import ADMINS_BY_EMAIL, DEFAULT_RULES


def create_default_rules(apps, schema_editor):
    Organization = apps.get_model("accounts", "Organization")
    AlertRule = apps.get_model("alerts", "AlertRule")
    for organization in Organization.objects.all():
        existing = set(
            AlertRule.objects.filter(organization=organization).values_list("name", flat=True)
        )
        AlertRule.objects.bulk_create(
            AlertRule(organization=organization, channels=ADMINS_BY_EMAIL, is_default=True, **rule)
            for rule in DEFAULT_RULES
            if rule["name"] not in existing
        )


class Migration(migrations.Migration):
    dependencies = [("alerts", "0001_initial"), ("accounts", "0003_refreshtoken_family")]

    operations = [migrations.RunPython(create_default_rules, migrations.RunPython.noop)]
