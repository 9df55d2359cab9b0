"""Horizon's endpoints: accounts, transactions (submit, read, per account) and friendbot."""

import hashlib
from decimal import Decimal
from functools import wraps

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from stellar_sdk import Account, Keypair, StrKey, TransactionBuilder

from simulators.horizon import ledger, render
from simulators.horizon.faults import log_request, run_with_faults
from simulators.horizon.http import Problem, hal_response, problem_response
from simulators.horizon.models import HorizonAccount, HorizonBalance, HorizonTransaction

MAX_LIMIT = 200
FRIENDBOT_XLM = Decimal("10000")
_MOUNT = "/sim/horizon"


def base_url(request: HttpRequest) -> str:
    path = request.path
    return request.build_absolute_uri(path[: path.index(_MOUNT) + len(_MOUNT)])


def endpoint(*methods: str):
    def decorator(view):
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, **kwargs) -> HttpResponse:
            fault = ""
            if request.method not in methods:
                response = problem_response("method_not_allowed")
            else:
                response, fault = run_with_faults(request, lambda: _answer(view, request, kwargs))
            log_request(request, response, fault)
            return response

        return wrapper

    return decorator


def _answer(view, request, kwargs) -> HttpResponse:
    try:
        return view(request, **kwargs)
    except Problem as problem:
        return problem_response(problem.kind, extras=problem.extras, detail=problem.detail)


def _account(account_id: str) -> HorizonAccount:
    if not StrKey.is_valid_ed25519_public_key(account_id):
        raise Problem(
            "bad_request",
            detail="The request you sent was invalid in some way.",
            extras={
                "invalid_field": "account_id",
                "reason": "Account ID must start with `G` and contain 56 alphanum characters",
            },
        )
    row = HorizonAccount.objects.prefetch_related("balances").filter(account_id=account_id).first()
    if row is None:
        raise Problem("not_found")
    return row


@endpoint("GET")
def root(request):
    latest = ledger.next_ledger() - 1
    return hal_response(
        {
            "_links": {
                "account": {
                    "href": f"{base_url(request)}/accounts/{{account_id}}",
                    "templated": True,
                }
            },
            "horizon_version": "fleetops-simulator",
            "core_version": "simulated",
            "history_latest_ledger": latest,
            "core_latest_ledger": latest,
            "network_passphrase": ledger.passphrase(),
            "current_protocol_version": 22,
            "supported_protocol_version": 22,
            "core_supported_protocol_version": 22,
        }
    )


@endpoint("GET")
def account_detail(request, account_id: str):
    return hal_response(render.account(base_url(request), _account(account_id)))


@endpoint("GET")
def account_transactions(request, account_id: str):
    _account(account_id)
    order = request.GET.get("order") or "asc"
    if order not in ("asc", "desc"):
        raise Problem(
            "bad_request", extras={"invalid_field": "order", "reason": "order must be asc or desc"}
        )
    limit = _int(request, "limit", 10, 1, MAX_LIMIT)
    rows = HorizonTransaction.objects.filter(accounts__contains=[account_id])
    if request.GET.get("include_failed", "false").lower() != "true":
        rows = rows.filter(successful=True)
    cursor = request.GET.get("cursor")
    if cursor and cursor != "now":
        try:
            position = int(cursor)
        except ValueError:
            raise Problem(
                "bad_request", extras={"invalid_field": "cursor", "reason": "invalid cursor"}
            ) from None
        rows = rows.filter(pk__lt=position) if order == "desc" else rows.filter(pk__gt=position)
    elif cursor == "now":
        rows = rows.none() if order == "asc" else rows
    rows = rows.order_by("-pk" if order == "desc" else "pk")[:limit]
    base = base_url(request)
    records = [render.transaction(base, row) for row in rows]
    path = f"/accounts/{account_id}/transactions"
    return hal_response(render.page(base, path, records, order=order, limit=limit))


@endpoint("GET")
def transaction_detail(request, tx_hash: str):
    row = HorizonTransaction.objects.filter(hash=tx_hash.lower()).first()
    if row is None:
        raise Problem("not_found")
    return hal_response(render.transaction(base_url(request), row))


@endpoint("POST")
def transactions(request):
    envelope_xdr = request.POST.get("tx", "")
    if not envelope_xdr:
        raise Problem(
            "bad_request",
            extras={"invalid_field": "tx", "reason": "Transaction envelope is required"},
        )
    outcome = ledger.submit(envelope_xdr)
    return _submission_answer(request, outcome)


def _submission_answer(request, outcome: ledger.Outcome) -> HttpResponse:
    if outcome.malformed:
        raise Problem("transaction_malformed", extras={"envelope_xdr": ""})
    if outcome.record is None:
        code = outcome.refused_codes["transaction"]
        raise Problem(
            "transaction_failed",
            extras={
                "envelope_xdr": outcome.refused_envelope,
                "result_codes": outcome.refused_codes,
                "result_xdr": ledger.refused_result_xdr(code),
                "hash": outcome.refused_hash,
            },
        )
    record = outcome.record
    if not record.successful:
        raise Problem(
            "transaction_failed",
            extras={
                "envelope_xdr": record.envelope_xdr,
                "result_codes": record.result_codes,
                "result_xdr": record.result_xdr,
                "hash": record.hash,
            },
        )
    return hal_response(render.transaction(base_url(request), record))


@endpoint("GET", "POST")
def friendbot(request):
    address = request.GET.get("addr") or request.POST.get("addr") or ""
    if not StrKey.is_valid_ed25519_public_key(address):
        raise Problem("bad_request", extras={"invalid_field": "addr", "reason": "invalid address"})
    bot = friendbot_keypair()
    with transaction.atomic():
        ensure_account(bot.public_key, xlm=Decimal("100000000"))
    source = HorizonAccount.objects.get(account_id=bot.public_key)
    envelope = (
        TransactionBuilder(
            Account(bot.public_key, source.sequence),
            network_passphrase=ledger.passphrase(),
            base_fee=ledger.BASE_FEE,
        )
        .append_create_account_op(destination=address, starting_balance=f"{FRIENDBOT_XLM:.7f}")
        .set_timeout(60)
        .build()
    )
    envelope.sign(bot)
    return _submission_answer(request, ledger.submit(envelope.to_xdr()))


def friendbot_keypair() -> Keypair:
    return Keypair.from_raw_ed25519_seed(hashlib.sha256(b"horizon-simulator-friendbot").digest())


def ensure_account(account_id: str, *, xlm: Decimal) -> HorizonAccount:
    account, created = HorizonAccount.objects.get_or_create(
        account_id=account_id, defaults={"sequence": ledger.initial_sequence(ledger.FIRST_LEDGER)}
    )
    if created:
        HorizonBalance.objects.create(account=account, asset_code="XLM", balance=xlm)
    return account


def _int(request, name: str, default: int, low: int, high: int) -> int:
    raw = request.GET.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise Problem(
            "bad_request", extras={"invalid_field": name, "reason": "not an integer"}
        ) from None
    if not low <= value <= high:
        raise Problem(
            "bad_request", extras={"invalid_field": name, "reason": f"between {low} and {high}"}
        )
    return value
