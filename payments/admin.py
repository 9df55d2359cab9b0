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

from core.admin import ReadOnlyAdmin, ReadOnlyInline
from core.context import Context
from core.errors import DomainError
from core.humanize import human_amount, human_datetime
from payments import services
from payments.models import Attestation, Payment, PaymentEvent, StellarAccount, Wallet
from upstream.exceptions import UpstreamError

STROOPS_PER_XLM = 10_000_000


def _public_key(secret: str, field: str) -> str:
    try:
        return Keypair.from_secret(secret).public_key
    except Exception:
        raise forms.ValidationError(
            {field: "Not a Stellar secret seed (S..., 56 characters)."}
        ) from None


class StellarAccountForm(forms.ModelForm):
    """Secrets are write-only: never rendered back; left blank on edit, they stay as they are.
    The public keys are derived from them."""

    pool_secret = forms.CharField(
        widget=forms.PasswordInput(render_value=False),
        required=False,
        strip=True,
        help_text="Write-only, stored encrypted. Leave blank to keep the current one.",
    )
    operator_secret = forms.CharField(
        widget=forms.PasswordInput(render_value=False),
        required=False,
        strip=True,
        help_text="Write-only, stored encrypted (pays penalties). Blank keeps the current one.",
    )

    class Meta:
        model = StellarAccount
        fields = ["organization", "pool_secret", "operator_secret", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.pop("pool_secret", None)
        self.initial.pop("operator_secret", None)
        if self.instance.pk is None:
            self.fields["pool_secret"].required = True

    def clean(self):
        cleaned = super().clean()
        for name in ("pool_secret", "operator_secret"):
            if not cleaned.get(name) and self.instance.pk is not None:
                cleaned[name] = getattr(self.instance, name)
        if cleaned.get("pool_secret"):
            self.instance.pool_public_key = _public_key(cleaned["pool_secret"], "pool_secret")
        if cleaned.get("operator_secret"):
            self.instance.operator_public_key = _public_key(
                cleaned["operator_secret"], "operator_secret"
            )
        return cleaned


@admin.register(StellarAccount)
class StellarAccountAdmin(admin.ModelAdmin):
    form = StellarAccountForm
    list_display = ["organization", "pool_public_key", "operator_public_key", "is_active"]
    list_filter = ["is_active"]
    list_select_related = ["organization"]
    search_fields = ["organization__name", "pool_public_key", "operator_public_key"]
    readonly_fields = ["pool_public_key", "operator_public_key", "created_at", "updated_at"]


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
