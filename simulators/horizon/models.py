"""State of the Horizon simulator: accounts with sequence numbers, balances (XLM and
trustlines), the transactions it applied or failed, faults and a request log.

Amounts are ``Decimal`` with seven places, as on the ledger.
"""

from django.db import models

AMOUNT = {"max_digits": 19, "decimal_places": 7}


class HorizonAccount(models.Model):
    account_id = models.CharField(max_length=56, unique=True)
    sequence = models.BigIntegerField(default=0)
    created_ledger = models.PositiveIntegerField(default=1)
    last_modified_ledger = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["account_id"]

    def __str__(self) -> str:
        return self.account_id


class HorizonBalance(models.Model):
    """XLM (``asset_code`` "XLM", no issuer) or a trustline to ``asset_code``/``asset_issuer``."""

    account = models.ForeignKey(HorizonAccount, on_delete=models.CASCADE, related_name="balances")
    asset_code = models.CharField(max_length=12)
    asset_issuer = models.CharField(max_length=56, blank=True)
    balance = models.DecimalField(default=0, **AMOUNT)
    limit = models.DecimalField(default="922337203685.4775807", **AMOUNT)
    last_modified_ledger = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["account_id", "asset_issuer", "asset_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "asset_code", "asset_issuer"], name="horizon_balance_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.balance} {self.asset_code} of {self.account_id}"

    @property
    def is_native(self) -> bool:
        return self.asset_code == "XLM" and not self.asset_issuer


class HorizonTransaction(models.Model):
    """A transaction in the simulated ledger (successful, or failed with its fee charged)."""

    hash = models.CharField(max_length=64, unique=True)
    ledger = models.PositiveIntegerField(db_index=True)
    source_account = models.CharField(max_length=56, db_index=True)
    source_account_sequence = models.BigIntegerField()
    successful = models.BooleanField(default=True)
    fee_charged = models.BigIntegerField(default=0)
    max_fee = models.BigIntegerField(default=0)
    operation_count = models.PositiveIntegerField(default=1)
    memo_type = models.CharField(max_length=8, default="none")
    memo = models.CharField(max_length=128, blank=True)
    envelope_xdr = models.TextField()
    result_xdr = models.TextField()
    result_codes = models.JSONField(default=dict, blank=True)
    valid_after = models.BigIntegerField(null=True, blank=True)
    valid_before = models.BigIntegerField(null=True, blank=True)
    signatures = models.JSONField(default=list)
    # Accounts the transaction touched (source, destinations): /accounts/{id}/transactions.
    accounts = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.hash


class HorizonFault(models.Model):
    """Faults injected into the simulator's answers (one global row).

    ``paths`` limits them to paths containing one of its comma-separated substrings.
    ``apply_then`` makes a submission apply first and then answer ``error_status`` ("error")
    or hang ``hang_seconds`` before answering ("hang"): the client loses the answer of a
    transaction that is in the ledger.
    """

    latency_ms = models.PositiveIntegerField(default=0)
    error_rate = models.FloatField(default=0.0, help_text="Share of requests answered 5xx.")
    error_status = models.PositiveSmallIntegerField(default=503)
    hang_seconds = models.FloatField(default=0.0)
    apply_then = models.CharField(
        max_length=8,
        blank=True,
        choices=[("", "-"), ("error", "apply, then 5xx"), ("hang", "apply, then hang")],
    )
    paths = models.CharField(max_length=255, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return "Horizon simulator faults"


class HorizonRequestLog(models.Model):
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=512)
    status = models.PositiveSmallIntegerField()
    fault = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.method} {self.path} {self.status}"
