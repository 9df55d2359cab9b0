"""Daily usage per SIM, and the per-organization daily rollup that fleet queries read.

Volumes are whole bytes, SMS are message counts. ``UsageRecord`` carries its SIM's
organization as well, so fleet-wide queries and the rollup's recomputation read one
organization's days from one index instead of joining every SIM first.
"""

from django.db import models


class UsageRecord(models.Model):
    """One SIM's usage on one day (UTC), as 1NCE reports it; today's row grows until midnight."""

    # No single-column indexes: the (sim, date) and (organization, date) ones lead with them.
    sim = models.ForeignKey(
        "sims.Sim",
        verbose_name="SIM",
        on_delete=models.CASCADE,
        related_name="usage_records",
        db_index=False,
    )
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    date = models.DateField()
    data_rx_bytes = models.BigIntegerField(
        verbose_name="data received (bytes)", default=0, help_text="Bytes received by the device."
    )
    data_tx_bytes = models.BigIntegerField(
        verbose_name="data sent (bytes)", default=0, help_text="Bytes sent by the device."
    )
    sms_mo = models.IntegerField(
        verbose_name="SMS sent (MO)", default=0, help_text="Messages sent by the device."
    )
    sms_mt = models.IntegerField(
        verbose_name="SMS received (MT)", default=0, help_text="Messages received by the device."
    )
    # 1NCE's usage API does not report sessions; kept for sources that do.
    session_count = models.IntegerField(null=True, blank=True)
    synced_at = models.DateTimeField()

    class Meta:
        ordering = ["sim", "date"]
        constraints = [
            models.UniqueConstraint(fields=["sim", "date"], name="usage_record_unique_sim_date"),
        ]
        indexes = [
            # The unique constraint's index serves one SIM's ranges; this one fleet scans.
            models.Index(fields=["organization", "date"], name="usage_record_org_date"),
        ]

    def __str__(self) -> str:
        return f"Usage on {self.date:%Y-%m-%d}"

    @property
    def data_bytes(self) -> int:
        return self.data_rx_bytes + self.data_tx_bytes


class OrganizationDailyUsage(models.Model):
    """An organization's totals for one day, recomputed from ``UsageRecord`` by the sync."""

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    date = models.DateField()
    data_rx_bytes = models.BigIntegerField(default=0)
    data_tx_bytes = models.BigIntegerField(default=0)
    sms_mo = models.BigIntegerField(default=0)
    sms_mt = models.BigIntegerField(default=0)
    sim_count = models.PositiveIntegerField(default=0, help_text="SIMs with a record that day.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["organization", "date"]
        verbose_name = "organization daily usage"
        verbose_name_plural = "organization daily usage"
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "date"], name="usage_org_daily_unique_org_date"
            ),
        ]

    def __str__(self) -> str:
        return f"The organization's usage on {self.date:%Y-%m-%d}"

    @property
    def data_bytes(self) -> int:
        return self.data_rx_bytes + self.data_tx_bytes


class StaleRollupDay(models.Model):
    """A day whose ``OrganizationDailyUsage`` row is behind its usage records.

    Written in the same transaction as the records it is about, and removed by the rollup
    refresh that catches up: a sync killed between writing a SIM's records and refreshing the
    rollup leaves these behind, and the next run (``repair_daily_rollups``) recomputes them.
    """

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    date = models.DateField()

    class Meta:
        ordering = ["organization", "date"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "date"], name="usage_stale_rollup_unique_org_date"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization_id} {self.date}"


class SimMonthlyUsage(models.Model):
    """One SIM's totals for one calendar month (UTC days), kept by the usage sync in the same
    transaction as the records: the console ranks a month's top consumers and shows "data used
    this month" from here instead of summing millions of daily rows."""

    sim = models.ForeignKey(
        "sims.Sim",
        verbose_name="SIM",
        on_delete=models.CASCADE,
        related_name="monthly_usage",
        db_index=False,
    )
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    month = models.DateField(help_text="The month's first day.")
    data_bytes = models.BigIntegerField("data (bytes)", default=0)
    sms = models.IntegerField("SMS (MO + MT)", default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-month", "sim"]
        verbose_name = "SIM monthly usage"
        verbose_name_plural = "SIM monthly usage"
        constraints = [
            models.UniqueConstraint(fields=["sim", "month"], name="usage_sim_month_unique"),
        ]
        indexes = [
            # A month's top consumers: the first rows of one index range, per organization
            # or across all of them.
            models.Index(
                "organization", "month", models.F("data_bytes").desc(), name="usage_sim_month_top"
            ),
            models.Index("month", models.F("data_bytes").desc(), name="usage_sim_month_top_all"),
        ]

    def __str__(self) -> str:
        return f"Usage in {self.month:%Y-%m}"


class UsageCoverage(models.Model):
    """The days of one SIM whose usage was read from 1NCE: from the first day ever asked to
    the last. Inside them a day without a record had no usage (answered as zero); outside
    them nothing is known, and the API says so (``coverage``)."""

    sim = models.OneToOneField("sims.Sim", on_delete=models.CASCADE, related_name="usage_coverage")
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+"
    )
    first_day = models.DateField()
    last_day = models.DateField()

    class Meta:
        ordering = ["sim"]

    def __str__(self) -> str:
        return f"{self.sim_id} {self.first_day}..{self.last_day}"
