"""Indexes for the console at fleet scale: the newest connectivity reading per SIM read from
one index (connected included), the superuser's newest-first SIM list, and the SIMs gone from
1NCE."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_console_labels"),
        ("sims", "0008_sim_site"),
        ("sites", "0001_initial"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="connectivitysnapshot",
            index=models.Index(
                fields=["sim", "-taken_at", "-id"],
                include=("connected",),
                name="sims_snapshot_newest",
            ),
        ),
        # A prefix of the new one.
        migrations.RemoveIndex(
            model_name="connectivitysnapshot",
            name="sims_connec_sim_id_595ba5_idx",
        ),
        migrations.AddIndex(
            model_name="sim",
            index=models.Index(fields=["-created_at", "-id"], name="sims_sim_newest"),
        ),
        migrations.AddIndex(
            model_name="sim",
            index=models.Index(
                condition=models.Q(("missing_upstream_since__isnull", False)),
                fields=["organization"],
                name="sims_sim_missing",
            ),
        ),
    ]
