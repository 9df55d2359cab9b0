from django.db import migrations, models
from django.db.models import F


def backfill_family(apps, schema_editor):
    # Every token issued before rotation started its own session: its access tokens carry its
    # jti as ``sid``, which is what the family is named by.
    RefreshToken = apps.get_model("accounts", "RefreshToken")
    RefreshToken.objects.filter(family="").update(family=F("jti"))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_apikey_auditlog_refreshtoken"),
    ]

    operations = [
        migrations.AddField(
            model_name="refreshtoken",
            name="family",
            field=models.CharField(db_index=True, default="", max_length=64),
            preserve_default=False,
        ),
        migrations.RunPython(backfill_family, migrations.RunPython.noop),
    ]
