"""Payments API: SLA settlement, history and analytics (seed 004), wallets (create, read,
fund, balance)."""

from datetime import timedelta

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from accounts.models import Role
from core.context import Context
from core.errors import NotFound, PermissionDenied
from core.filters import FilterBackend
from core.idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotent
from core.pagination import FleetPagination
from core.schema import answers_errors, calls_upstream
from core.viewsets import FleetAPIView
from outages import selectors as outage_selectors
from payments import selectors, services
from payments.api.serializers import (
    ExecutePaymentAnswerSerializer,
    ExecutePaymentSerializer,
    PaymentAnalyticsSerializer,
    PaymentHistorySerializer,
    ProcessSlaAnswerSerializer,
    ProcessSlaSerializer,
    WalletBalanceSerializer,
    WalletCreatedSerializer,
    WalletCreateSerializer,
    WalletSerializer,
)
from payments.api.throttling import PAYMENT_THROTTLES
from payments.filters import PaymentFilterSet
from payments.models import LedgerStatus
from payments.settlement import gas_cost_xlm

PERIOD_PARAMETERS = [
    OpenApiParameter("start_date", str, description="From: a date or an ISO 8601 date-time."),
    OpenApiParameter("end_date", str, description="To (inclusive): a date or date-time."),
]


class PaymentHistoryView(FleetAPIView):
    """Seed 004's payment history: the page of payments and the summary of all that match
    (confirmed penalties, rewards and their net).

    Filter by period, type and status; the summary covers every matching payment, not only the page.
    """

    filterset_class = PaymentFilterSet

    @extend_schema(
        operation_id="payments_history",
        parameters=[
            *PERIOD_PARAMETERS,
            OpenApiParameter("type", str, enum=["reward", "penalty", "manual"]),
            OpenApiParameter("status", str, enum=["pending", "submitted", "confirmed", "failed"]),
            OpenApiParameter("outage_id", str),
            OpenApiParameter("limit", int, description="Page size (default 50, at most 100)."),
            OpenApiParameter("offset", int, description="Items to skip."),
        ],
        responses=PaymentHistorySerializer,
    )
    @answers_errors(422)
    def get(self, request):
        payments = FilterBackend().filter_queryset(
            request, selectors.payments_for(request.user), self
        )
        total, summary = selectors.history_totals(payments)
        paginator = FleetPagination()
        page = paginator.paginate_queryset(payments, request, view=self, total=total)
        body = {
            "total": total,
            "limit": paginator.size,
            "offset": paginator.start,
            "transactions": page,
            "summary": summary,
        }
        return Response(PaymentHistorySerializer(body).data)


class PaymentAnalyticsView(FleetAPIView):
    """Seed 004's payment analytics: the period's summary and its trend by day, week or month
    (confirmed payments; computed in the database).

    Counts and amounts of the period's payments, grouped by the interval asked for.
    """

    @extend_schema(
        operation_id="payments_analytics",
        parameters=[
            *PERIOD_PARAMETERS,
            OpenApiParameter("group_by", str, enum=list(selectors.GROUPS), default="day"),
        ],
        responses=PaymentAnalyticsSerializer,
    )
    @answers_errors(422)
    def get(self, request):
        start = selectors.parse_moment(request.query_params.get("start_date"), name="start_date")
        end = selectors.parse_moment(
            request.query_params.get("end_date"), name="end_date", end=True
        )
        group_by = request.query_params.get("group_by") or "day"
        payments = selectors.in_period(selectors.payments_for(request.user), start, end)
        body = {
            "period": {"start": start, "end": end},
            "group_by": group_by,
            "summary": selectors.summary(payments),
            "trends": selectors.trends(payments, group_by=group_by),
        }
        return Response(PaymentAnalyticsSerializer(body).data)


def _wallet_owner(request, user_id):
    """The user a wallet request is about: the caller, or (admins) a user of their
    organization; 404 for anyone else."""
    if user_id is None or str(user_id) in {str(request.user.pk), request.user.username}:
        return request.user
    user = selectors.organization_user(user_id=user_id, viewer=request.user)
    if user is None:
        raise NotFound("No such user.", details={"user_id": user_id})
    if not (request.user.is_superuser or request.user.role == Role.ADMIN):
        raise PermissionDenied("Only an admin manages other users' wallets.")
    return user


class WalletCreateView(FleetAPIView):
    """Register the user's own Stellar public key, or create a custodial key pair whose secret
    is stored encrypted and never returned. ``fund`` funds it through friendbot (testnet)."""

    throttle_classes = PAYMENT_THROTTLES

    @calls_upstream
    @extend_schema(
        operation_id="wallets_create",
        request=WalletCreateSerializer,
        responses={201: WalletCreatedSerializer},
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
    )
    @idempotent
    def post(self, request):
        serializer = WalletCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        context = Context.from_request(request)
        wallet = services.create_wallet(
            user=_wallet_owner(request, data.get("user_id")),
            public_key=data.get("public_key") or "",
            context=context,
        )
        if data["fund"] and not wallet.funded:
            wallet = services.fund_wallet(wallet=wallet, context=context)
        return Response(WalletCreatedSerializer(wallet).data, status=status.HTTP_201_CREATED)


class WalletDetailView(FleetAPIView):
    """The wallet of a user of the caller's organization, named by id or username (``funded``
    refreshed from Horizon while it is not yet funded).

    Its Stellar address and whether the account exists on the ledger.
    """

    @extend_schema(operation_id="wallets_retrieve", responses=WalletSerializer)
    def get(self, request, user_id):
        wallet = selectors.wallet_for_user(user_id=user_id, viewer=request.user)
        if not wallet.funded:
            services.refresh_funded(wallet)
        return Response(WalletSerializer(wallet).data)


class WalletFundView(FleetAPIView):
    """Fund a wallet through the network's friendbot (testnet and the simulator only); a
    custodial wallet then trusts the payment asset.

    The friendbot credits the account with test lumens; on the public network this answers 409.
    """

    throttle_classes = PAYMENT_THROTTLES

    @calls_upstream
    @extend_schema(operation_id="wallets_fund", request=None, responses=WalletSerializer)
    def post(self, request, user_id):
        wallet = selectors.wallet_for_user(user_id=user_id, viewer=request.user)
        if wallet.user_id != request.user.pk:
            _wallet_owner(request, wallet.user_id)
        wallet = services.fund_wallet(wallet=wallet, context=Context.from_request(request))
        return Response(WalletSerializer(wallet).data)


class WalletBalanceView(FleetAPIView):
    """Balances of any Stellar address, per asset, as the ledger has them now.

    Read from Horizon at each call; an unknown address answers 404.
    """

    @calls_upstream
    @extend_schema(operation_id="wallets_balance", responses=WalletBalanceSerializer)
    @answers_errors(400)
    def get(self, request, address):
        body = services.wallet_balance(address=address)
        body["last_updated"] = timezone.now()
        return Response(WalletBalanceSerializer(body).data)


# A Stellar ledger closes every five seconds or so: when a submitted payout should confirm.
LEDGER_CLOSE = timedelta(seconds=5)


def settles(*, operation_id: str, request, answer):
    """A settlement POST handler: its schema (every error status of an upstream call) and its
    ``Idempotency-Key``."""

    def decorate(handler):
        return calls_upstream(
            extend_schema(
                operation_id=operation_id,
                request=request,
                responses={200: answer},
                parameters=[IDEMPOTENCY_KEY_PARAMETER],
            )(idempotent(handler))
        )

    return decorate


class SettlementView(FleetAPIView):
    """What both settlement endpoints share: the payment rate limit and ``settle``."""

    throttle_classes = PAYMENT_THROTTLES
    body_class: type = ProcessSlaSerializer

    def settle(self):
        """Validate the body, find the outage in the caller's organization (another's: 404)
        and settle it (``payments.services.settle_outage``)."""
        serializer = self.body_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        outage = outage_selectors.outage_for(
            organization_id=self.target_organization().pk, outage_id=data["outage_id"]
        )
        return services.settle_outage(
            outage=outage,
            context=Context.from_request(self.request),
            noc_wallet=data.get("noc_team_wallet") or "",
            operator_wallet=data.get("operator_wallet") or "",
        )


def _message(settled) -> str:
    payment = settled.payment
    if payment is None:
        return "No payout is due for this SLA result (its amount is zero); nothing was paid."
    if payment.status == LedgerStatus.CONFIRMED:
        return f"The {payment.payment_type} is paid and confirmed on Stellar."
    return f"The {payment.payment_type} is {payment.status}; it is confirmed from the ledger."


class ProcessSlaView(SettlementView):
    """Settle a resolved outage's SLA result on Stellar (seed 004's process-sla).

    Evaluates the SLA (or reuses the stored result), attests it on the ledger and pays it: a
    reward from the SLA pool to the NOC team's wallet, a penalty from the operator to the pool.
    Exactly once: calling again (or with the same ``Idempotency-Key``) answers the same payment.
    409 when the outage is not resolved (nothing is due yet), when its payout already failed
    on the ledger, while it is being settled, or when the organization has no Stellar account;
    502/503/504 when Stellar refuses or does not answer (nothing is recorded as paid; the
    outcome of a submitted payout is settled from the ledger, never paid twice).
    """

    @settles(
        operation_id="payments_process_sla",
        request=ProcessSlaSerializer,
        answer=ProcessSlaAnswerSerializer,
    )
    def post(self, request):
        settled = self.settle()
        attestation = settled.attestation
        body = {
            "outage_id": settled.outage.public_id,
            "sla_result": settled.sla_result,
            "payment": settled.payment,
            "contract_invocation": {
                "tx_hash": attestation.transaction_hash or None,
                "status": attestation.status,
                "gas_cost_xlm": gas_cost_xlm(attestation),
            },
            "message": _message(settled),
        }
        return Response(ProcessSlaAnswerSerializer(body).data)


class ExecutePaymentView(SettlementView):
    """Execute the payment an outage's SLA result calls for (seed 004's execute-payment).

    The same settlement as ``POST /payments/process-sla``: a penalty is paid by the
    organization's own operator account (``operator_wallet``, when given, must be it) to its
    SLA pool, a reward by the pool to ``noc_team_wallet`` (a wallet of the organization;
    default: the assignee's). Exactly once per outage; ``estimated_confirmation`` is when the
    payment was (or should be) confirmed on the ledger. Errors as for process-sla.
    """

    body_class = ExecutePaymentSerializer

    @settles(
        operation_id="sla_execute_payment",
        request=ExecutePaymentSerializer,
        answer=ExecutePaymentAnswerSerializer,
    )
    def post(self, request):
        settled = self.settle()
        payment = settled.payment
        estimated = None
        if payment is not None and payment.status != LedgerStatus.FAILED:
            estimated = payment.confirmed_at or (
                (payment.submitted_at or timezone.now()) + LEDGER_CLOSE
            )
        body = {
            "outage_id": settled.outage.public_id,
            "payment": payment,
            "estimated_confirmation": estimated,
            "message": _message(settled),
        }
        return Response(ExecutePaymentAnswerSerializer(body).data)
