"""Console pages: Stellar accounts (write-only secrets), wallets, payments, attestations.

No page ever renders a secret: the account form's secret fields are write-only, a wallet's
secret has no field at all. Payments and attestations are read-only bookkeeping; the one
operator action ("follow up from the ledger") calls the same service as the beat job.
"""

import json
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html
from stellar_sdk import Keypair

from core.admin import ReadOnlyAdmin, ReadOnlyInline, UpstreamAccountAdmin, UpstreamAccountForm
from core.context import Context
from core.errors import DomainError
from core.humanize import human_amount, human_datetime
from payments import services
from payments.models import Attestation, Payment, PaymentEvent, StellarAccount, Wallet
from payments.services.accounts import STELLAR_ACCOUNTS
from upstream.exceptions import UpstreamError

STROOPS_PER_XLM = 10_000_000


class StellarAccountForm(UpstreamAccountForm):
    """The public keys are derived from the secrets, which are write-only."""

    pool_secret = forms.CharField(
        strip=True, label="SLA pool secret seed", help_text="Pays rewards, receives penalties."
    )
    operator_secret = forms.CharField(
        strip=True, required=False, label="Operator secret seed", help_text="Pays penalties."
    )
    secret_fields = ("pool_secret", "operator_secret")

    class Meta:
        model = StellarAccount
        fields = ["organization", "is_active"]

    def _public_key(self, name: str) -> str:
        secret = self.cleaned_data.get(name)
        if not secret:
            return ""
        try:
            return Keypair.from_secret(secret).public_key
        except Exception:
            raise forms.ValidationError(
                "Not a Stellar secret seed (S..., 56 characters)."
            ) from None

    def clean_pool_secret(self):
        self.pool_public_key = self._public_key("pool_secret")
        return self.cleaned_data.get("pool_secret")

    def clean_operator_secret(self):
        self.operator_public_key = self._public_key("operator_secret")
        return self.cleaned_data.get("operator_secret")

    def account_values(self) -> dict:
        values = super().account_values()
        for role in ("pool", "operator"):
            public_key = getattr(self, f"{role}_public_key", "")
            if public_key:
                values[f"{role}_public_key"] = public_key
        return values


@admin.register(StellarAccount)
class StellarAccountAdmin(UpstreamAccountAdmin):
    """The organization's Stellar keys (its admins', or a superuser's)."""

    accounts = STELLAR_ACCOUNTS
    form = StellarAccountForm
    list_display = ["organization", "pool_public_key", "operator_public_key", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["organization__name", "pool_public_key", "operator_public_key"]
    readonly_fields = ["pool_public_key", "operator_public_key"]


@admin.register(Wallet)
class WalletAdmin(ReadOnlyAdmin):
    console_group = "Payments"
    list_display = ["user", "organization", "public_key", "custodial", "funded", "updated_at"]
    list_filter = ["custodial", "funded", "organization"]
    list_select_related = ["user", "organization"]
    search_fields = ["public_key", "user__username", "user__email"]
    fields = ["organization", "user", "public_key", "custodial", "funded", "active", "created_at"]
    readonly_fields = fields


def explorer_link(obj) -> str:
    if not obj.explorer_url:
        return "-"
    return format_html(
        '<a href="{}" target="_blank" rel="noopener">{}…</a>',
        obj.explorer_url,
        obj.transaction_hash[:12],
    )


explorer_link.short_description = "Transaction"


class PaymentEventInline(ReadOnlyInline):
    model = PaymentEvent
    fields = ["created_at", "kind", "data"]
    readonly_fields = fields


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    console_group = "Payments"
    labels = {"sla_config_version": "SLA terms version"}
    list_display = [
        "id",
        "created_at",
        "payment_type",
        "amount_with_asset",
        "status",
        "to_address",
        "outage_ref",
        explorer_link,
        "organization",
    ]
    list_filter = ["status", "payment_type", "asset_code", "organization"]
    list_select_related = ["organization"]
    search_fields = ["transaction_hash", "outage_ref", "to_address", "from_address", "memo"]
    date_hierarchy = "created_at"
    fields = [
        "organization",
        "payment_type",
        "amount_with_asset",
        "asset_issuer",
        "from_address",
        "to_address",
        "status",
        "error_code",
        "error_details",
        explorer_link,
        "transaction_hash",
        "ledger",
        "fee",
        "memo",
        "outage_ref",
        "sla_config_version",
        "attested_result",
        "attempts",
        "created_at",
        "submitted_at",
        "confirmed_at",
        "failed_at",
    ]
    readonly_fields = fields
    inlines = [PaymentEventInline]
    actions = ["follow_up"]

    @admin.display(description="Amount", ordering="amount")
    def amount_with_asset(self, obj):
        return human_amount(obj.amount, obj.asset_code)

    @admin.display(description="Fee charged")
    def fee(self, obj):
        if obj.fee_charged is None:
            return "-"
        return human_amount(Decimal(obj.fee_charged) / STROOPS_PER_XLM, "XLM")

    @admin.display(description="Attested SLA result")
    def attested_result(self, obj):
        """What was attested (the canonical document), its digest (the memo on the ledger)
        and the attestation's transaction."""
        attestation = obj.attestation
        if attestation is None:
            return "-"
        return format_html(
            "{} ({}, {})<br><code>{}</code><br>SHA-256 <code>{}</code> {}",
            attestation.subject,
            attestation.status,
            human_datetime(attestation.confirmed_at),
            json.dumps(attestation.document, sort_keys=True),
            attestation.memo,
            explorer_link(attestation),
        )

    @admin.action(description="Follow up from the ledger (never pays twice)")
    def follow_up(self, request, queryset):
        context = Context.from_request(request, via="console")
        for payment in queryset.exclude(status__in=["confirmed", "failed"]):
            try:
                services.settle_payment(payment=payment, context=context)
            except (DomainError, UpstreamError) as exc:
                self.message_user(request, f"Payment {payment.pk}: {exc}", messages.WARNING)
            else:
                self.message_user(request, f"Payment {payment.pk} is {payment.status}.")


@admin.register(Attestation)
class AttestationAdmin(ReadOnlyAdmin):
    console_group = "Payments"
    list_display = ["id", "created_at", "subject", "status", explorer_link, "organization"]
    list_filter = ["status", "organization"]
    list_select_related = ["organization"]
    search_fields = ["subject", "outage_ref", "transaction_hash", "memo"]
    fields = [
        "organization",
        "subject",
        "outage_ref",
        "document",
        "memo",
        "status",
        explorer_link,
        "transaction_hash",
        "ledger",
        "created_at",
        "confirmed_at",
    ]
    readonly_fields = fields
