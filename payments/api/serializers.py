from rest_framework import serializers

from core.serializers import FleetModelSerializer, FleetSerializer
from payments.models import Attestation, Payment, PaymentType, Wallet
from upstream.stellar.formats import is_account_id


class AttestationSerializer(FleetModelSerializer):
    explorer_url = serializers.CharField(read_only=True)
    digest = serializers.CharField(source="memo", read_only=True)

    class Meta:
        model = Attestation
        fields = [
            "id",
            "subject",
            "outage_ref",
            "digest",
            "status",
            "transaction_hash",
            "ledger",
            "explorer_url",
            "created_at",
            "confirmed_at",
        ]
        read_only_fields = fields


class PaymentSerializer(FleetModelSerializer):
    """A payment in seed 004's history shape (amounts as decimal strings, 7 places)."""

    type = serializers.ChoiceField(source="payment_type", choices=PaymentType.choices)
    outage_id = serializers.CharField(source="outage_ref")
    explorer_url = serializers.CharField(read_only=True)
    attestation_tx_hash = serializers.SerializerMethodField()

    class Meta:
        model = Payment
        fields = [
            "id",
            "transaction_hash",
            "type",
            "amount",
            "asset_code",
            "asset_issuer",
            "from_address",
            "to_address",
            "status",
            "outage_id",
            "memo",
            "error_code",
            "created_at",
            "submitted_at",
            "confirmed_at",
            "explorer_url",
            "attestation_tx_hash",
        ]
        read_only_fields = fields
        # A page is read as rows (core.fastread): the explorer URL is the model's property over
        # the row, the attestation's hash a column of the (LEFT) joined attestation.
        row_methods = ["explorer_url", "attestation_tx_hash"]
        row_columns = ["attestation__id", "attestation__transaction_hash"]

    def get_attestation_tx_hash(self, payment) -> str:
        """The attestation's transaction hash; "" without one."""
        attestation = payment.attestation
        return "" if attestation is None else attestation.transaction_hash


class PaymentSummarySerializer(FleetSerializer):
    total_penalties = serializers.DecimalField(max_digits=24, decimal_places=7)
    total_rewards = serializers.DecimalField(max_digits=24, decimal_places=7)
    net_amount = serializers.DecimalField(max_digits=24, decimal_places=7)


class PaymentHistorySerializer(FleetSerializer):
    total = serializers.IntegerField()
    limit = serializers.IntegerField()
    offset = serializers.IntegerField()
    transactions = PaymentSerializer(many=True)
    summary = PaymentSummarySerializer()


class AnalyticsSummarySerializer(PaymentSummarySerializer):
    transaction_count = serializers.IntegerField()
    average_transaction_amount = serializers.DecimalField(max_digits=24, decimal_places=7)


class TrendSerializer(FleetSerializer):
    date = serializers.DateField()
    penalties = serializers.DecimalField(max_digits=24, decimal_places=7)
    rewards = serializers.DecimalField(max_digits=24, decimal_places=7)
    net = serializers.DecimalField(max_digits=24, decimal_places=7)
    count = serializers.IntegerField()


class AnalyticsPeriodSerializer(FleetSerializer):
    start = serializers.DateTimeField(allow_null=True)
    end = serializers.DateTimeField(allow_null=True)


class PaymentAnalyticsSerializer(FleetSerializer):
    period = AnalyticsPeriodSerializer()
    group_by = serializers.CharField()
    summary = AnalyticsSummarySerializer()
    trends = TrendSerializer(many=True)


class WalletSerializer(FleetModelSerializer):
    """A wallet in seed 004's shape. Never the secret: there is no field for it."""

    user_id = serializers.IntegerField(source="user.pk", read_only=True)
    last_updated = serializers.DateTimeField(source="updated_at", read_only=True)

    class Meta:
        model = Wallet
        fields = [
            "user_id",
            "public_key",
            "custodial",
            "created_at",
            "last_updated",
            "funded",
            "active",
        ]
        read_only_fields = fields


class WalletCreatedSerializer(WalletSerializer):
    message = serializers.SerializerMethodField()

    class Meta(WalletSerializer.Meta):
        fields = [*WalletSerializer.Meta.fields, "message"]
        read_only_fields = fields

    def get_message(self, wallet) -> str:
        from payments.services.wallets import ACTIVATION_MESSAGE

        return "Wallet registered; it is funded." if wallet.funded else ACTIVATION_MESSAGE


class WalletCreateSerializer(FleetSerializer):
    user_id = serializers.CharField(
        required=False,
        max_length=150,
        help_text="The user the wallet is for, by id or username (default: the caller).",
    )
    public_key = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=56,
        help_text="The user's own Stellar public key; empty: a custodial key pair is created.",
    )
    fund = serializers.BooleanField(
        default=False, help_text="Fund it through the network's friendbot (testnet only)."
    )


class BalanceEntrySerializer(FleetSerializer):
    balance = serializers.CharField()
    asset_type = serializers.CharField()
    asset_code = serializers.CharField(required=False)
    asset_issuer = serializers.CharField(required=False)


class WalletBalanceSerializer(FleetSerializer):
    address = serializers.CharField()
    balances = serializers.DictField(child=BalanceEntrySerializer())
    last_updated = serializers.DateTimeField()


def stellar_address(value: str) -> str:
    if value and not is_account_id(value):
        raise serializers.ValidationError("Not a Stellar public key (G..., 56 characters).")
    return value


class ProcessSlaSerializer(FleetSerializer):
    """Seed 004's ``process-sla`` body."""

    outage_id = serializers.CharField(max_length=32, help_text="OUT000123, resolved.")
    noc_team_wallet = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=56,
        validators=[stellar_address],
        help_text=(
            "Where a reward goes: a wallet of your organization (default: the wallet of the "
            "outage's assignee)."
        ),
    )


class ExecutePaymentSerializer(ProcessSlaSerializer):
    """Seed 004's ``execute-payment`` body."""

    operator_wallet = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=56,
        validators=[stellar_address],
        help_text="Pays a penalty: must be your organization's own operator account.",
    )


class SlaOutcomeSerializer(FleetSerializer):
    status = serializers.CharField()
    mttr_minutes = serializers.IntegerField()
    threshold_minutes = serializers.IntegerField()
    amount = serializers.FloatField(help_text="Negative: a penalty.")
    payment_type = serializers.CharField()
    performance_rating = serializers.CharField()
    config_version = serializers.IntegerField(source="config.version")


# Seed 004's payment object; "from" and "to" are its names (Python keywords, hence type()).
# Amounts are JSON numbers as in seed 004 (a stored Idempotency-Key answer keeps them so).
SlaPaymentSerializer = type(FleetSerializer)(
    "SlaPaymentSerializer",
    (FleetSerializer,),
    {
        "__doc__": "A payout in seed 004's execute-payment / process-sla shape.",
        "id": serializers.IntegerField(),
        "transaction_hash": serializers.CharField(allow_blank=True),
        "type": serializers.CharField(source="payment_type"),
        "amount": serializers.FloatField(),
        "from": serializers.CharField(source="from_address"),
        "to": serializers.CharField(source="to_address"),
        "asset": serializers.CharField(source="asset_code"),
        "status": serializers.ChoiceField(choices=["pending", "submitted", "confirmed", "failed"]),
        "explorer_url": serializers.CharField(),
        "created_at": serializers.DateTimeField(),
        "confirmed_at": serializers.DateTimeField(allow_null=True),
    },
)


class ContractInvocationSerializer(FleetSerializer):
    tx_hash = serializers.CharField(allow_null=True)
    status = serializers.CharField()
    gas_cost_xlm = serializers.CharField(allow_null=True)


class ProcessSlaAnswerSerializer(FleetSerializer):
    outage_id = serializers.CharField()
    sla_result = SlaOutcomeSerializer()
    payment = SlaPaymentSerializer(allow_null=True)
    contract_invocation = ContractInvocationSerializer()
    message = serializers.CharField()


class ExecutePaymentAnswerSerializer(FleetSerializer):
    outage_id = serializers.CharField()
    payment = SlaPaymentSerializer(allow_null=True)
    estimated_confirmation = serializers.DateTimeField(allow_null=True)
    message = serializers.CharField()
