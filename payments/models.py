"""Stellar settlement: organizations' Stellar accounts, users' wallets, payments, attestations.

Money is ``Decimal`` with seven places (the ledger's stroops). Signing secrets are stored
encrypted (``core.crypto``) and never leave the process: no serializer, admin page, log line
or audit row shows them.

A ``Payment`` and an ``Attestation`` are both one transaction on the ledger, settled exactly
once by ``payments.services.ledger`` (see there): the row, with its deterministic memo, is
written before anything is submitted; the signed envelope (a signature, no secret) is stored
before it is sent; before any resubmission the paying account's history is searched for the
memo.
"""

from django.conf import settings
from django.db import models

from core.crypto import EncryptedTextField
from core.humanize import human_amount

AMOUNT = {"max_digits": 19, "decimal_places": 7}


class StellarAccount(models.Model):
    """An organization's own Stellar keys: the SLA pool (pays rewards, receives penalties) and
    the operator (pays penalties). Without one, an organization reaches Stellar only if it
    owns the default keys from settings (``STELLAR_DEFAULT_ORGANIZATION``)."""

    organization = models.OneToOneField(
        "accounts.Organization", on_delete=models.CASCADE, related_name="stellar_account"
    )
    pool_public_key = models.CharField(max_length=56)
    pool_secret = EncryptedTextField()
    operator_public_key = models.CharField(max_length=56, blank=True)
    operator_secret = EncryptedTextField(blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["organization__name", "id"]
        verbose_name = "Stellar account"

    def __str__(self) -> str:
        return f"Stellar pool {self.pool_public_key} ({self.organization})"


class Wallet(models.Model):
    """A user's Stellar wallet: their own public key, or a custodial key pair whose secret is
    stored encrypted and never returned."""

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="wallets"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="wallet"
    )
    public_key = models.CharField(max_length=56)
    custodial = models.BooleanField(default=False)
    secret = EncryptedTextField(blank=True)
    funded = models.BooleanField(default=False)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["organization_id", "user_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "public_key"], name="payments_wallet_key_per_org"
            )
        ]

    def __str__(self) -> str:
        return f"{self.public_key} ({self.user})"


class LedgerStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUBMITTED = "submitted", "Submitted"
    CONFIRMED = "confirmed", "Confirmed"
    FAILED = "failed", "Failed"


PaymentStatus = LedgerStatus


class SourceRole(models.TextChoices):
    """Which of the organization's keys signs: the SLA pool or the operator."""

    POOL = "pool", "SLA pool"
    OPERATOR = "operator", "Operator"


class LedgerSubmission(models.Model):
    """What every transaction we put on the ledger records, for ``services.ledger``."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT)
    source_role = models.CharField(max_length=16, choices=SourceRole.choices)
    from_address = models.CharField(max_length=56)
    memo = models.CharField(max_length=64, help_text="Memo hash (hex), deterministic.")
    status = models.CharField(
        max_length=16, choices=LedgerStatus.choices, default=LedgerStatus.PENDING, db_index=True
    )
    envelope_xdr = models.TextField(blank=True, help_text="Signed envelope last submitted.")
    envelope_sequence = models.BigIntegerField(null=True, blank=True)
    envelope_max_time = models.BigIntegerField(null=True, blank=True)
    transaction_hash = models.CharField(max_length=64, blank=True, db_index=True)
    ledger = models.PositiveIntegerField(null=True, blank=True)
    fee_charged = models.BigIntegerField(null=True, blank=True, help_text="Stroops.")
    attempts = models.PositiveSmallIntegerField(default=0)
    error_code = models.CharField(max_length=64, blank=True)
    error_details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    @property
    def explorer_url(self) -> str:
        if not self.transaction_hash or not settings.STELLAR_EXPLORER_URL:
            return ""
        return f"{settings.STELLAR_EXPLORER_URL}/tx/{self.transaction_hash}"

    @property
    def is_final(self) -> bool:
        return self.status in (LedgerStatus.CONFIRMED, LedgerStatus.FAILED)


class Attestation(LedgerSubmission):
    """An SLA result attested on the ledger: a transaction from the pool whose memo hash is the
    SHA-256 of the canonical result document (``document``)."""

    subject = models.CharField(max_length=128, help_text="What is attested: sla:<outage>:<ver>.")
    outage_ref = models.CharField(max_length=64, blank=True, db_index=True)
    document = models.JSONField()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "memo"], name="payments_attestation_once"
            )
        ]

    def __str__(self) -> str:
        return f"attestation {self.subject}"


class PaymentType(models.TextChoices):
    REWARD = "reward", "Reward"
    PENALTY = "penalty", "Penalty"
    MANUAL = "manual", "Manual"


class Payment(LedgerSubmission):
    """One payment on Stellar. A reward pays the pool to the NOC team's wallet, a penalty the
    operator to the pool, a manual payment the pool to any address.

    ``outage_ref`` is the outage's identifier as plain text (kept in history after the
    outage is gone); ``outage`` links an SLA payout to its outage, at most one each
    (``payments_payment_one_per_outage``): a second worker or a retried call can never
    record a second payout of the same outage, whatever its idempotency key.
    """

    payment_type = models.CharField(max_length=16, choices=PaymentType.choices)
    amount = models.DecimalField(**AMOUNT)
    asset_code = models.CharField(max_length=12)
    asset_issuer = models.CharField(max_length=56, blank=True)
    to_address = models.CharField(max_length=56)
    idempotency_key = models.CharField(max_length=200)
    outage_ref = models.CharField(max_length=64, blank=True, db_index=True)
    outage = models.ForeignKey(
        "outages.Outage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="payments",
        help_text="The outage whose SLA result this payment settles (rewards and penalties).",
    )
    sla_config_version = models.CharField(max_length=32, blank=True)
    attestation = models.ForeignKey(
        Attestation, null=True, blank=True, on_delete=models.SET_NULL, related_name="payments"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "idempotency_key"], name="payments_payment_once"
            ),
            models.UniqueConstraint(
                fields=["outage"],
                condition=models.Q(outage__isnull=False)
                & models.Q(payment_type__in=["reward", "penalty"]),
                name="payments_payment_one_per_outage",
            ),
        ]
        indexes = [models.Index(fields=["organization", "status", "created_at"])]

    def __str__(self) -> str:
        amount = human_amount(self.amount, self.asset_code)
        return (
            f"{self.get_payment_type_display()} of {amount} ({self.get_status_display().lower()})"
        )


class PaymentEvent(models.Model):
    """``payment.submitted``, ``payment.completed``, ``payment.failed``: written in the same
    transaction as the status change, for alert rules and webhooks to read."""

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=32, db_index=True)
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.payment_id}"
