"""The simulated ledger: validate a submitted envelope as stellar-core would, then apply it.

Order of checks (as the network's): the envelope decodes (else ``transaction_malformed``); a
transaction already in the ledger answers its recorded result (resubmitting the same envelope
is safe); the source account exists (``tx_no_source_account``); time bounds
(``tx_too_early``/``tx_too_late``); the sequence number is the account's next
(``tx_bad_seq``); every needed signature verifies over the hash for *this* network's
passphrase (``tx_bad_auth``: a transaction signed for another network fails here); the fee
(``tx_insufficient_fee``, ``tx_insufficient_balance``). Those refusals change nothing. Then
the fee is charged and the sequence number used, and the operations are applied all or
nothing: one failing operation (``op_underfunded``, ``op_no_trust``, ``op_src_no_trust``,
``op_no_destination``, ``op_line_full``, ...) leaves a failed transaction in the ledger.
"""

import base64
import time
from dataclasses import dataclass, field
from decimal import Decimal

import stellar_sdk as ops
from django.conf import settings
from django.db import transaction
from django.db.models import Max
from stellar_sdk import Keypair, Network, TransactionEnvelope, xdr
from stellar_sdk.exceptions import BadSignatureError
from stellar_sdk.memo import HashMemo, IdMemo, NoneMemo, ReturnHashMemo, TextMemo

from simulators.horizon.models import HorizonAccount, HorizonBalance, HorizonTransaction

BASE_FEE = 100
BASE_RESERVE = Decimal("0.5")
FIRST_LEDGER = 1000
XLM = ("XLM", "")


def passphrase() -> str:
    return getattr(settings, "STELLAR_NETWORK_PASSPHRASE", Network.TESTNET_NETWORK_PASSPHRASE)


def next_ledger() -> int:
    current = HorizonTransaction.objects.aggregate(top=Max("ledger"))["top"]
    return (current or FIRST_LEDGER) + 1


def initial_sequence(ledger: int) -> int:
    return ledger << 32


@dataclass
class Outcome:
    """A submission's verdict: the recorded transaction, or a refusal that changed nothing."""

    record: HorizonTransaction | None = None
    refused_codes: dict = field(default_factory=dict)
    refused_hash: str = ""
    refused_envelope: str = ""
    malformed: str = ""


class OperationFailed(Exception):
    def __init__(self, index: int, code: str):
        super().__init__(code)
        self.index = index
        self.code = code


def submit(envelope_xdr: str) -> Outcome:
    try:
        envelope = TransactionEnvelope.from_xdr(envelope_xdr, passphrase())
    except Exception as exc:
        return Outcome(malformed=type(exc).__name__)
    tx = envelope.transaction
    tx_hash = envelope.hash_hex()
    existing = HorizonTransaction.objects.filter(hash=tx_hash).first()
    if existing is not None:
        return Outcome(record=existing)
    with transaction.atomic():
        involved = sorted({tx.source.account_id, *_destinations(tx)})
        accounts = {
            a.account_id: a
            for a in HorizonAccount.objects.select_for_update().filter(account_id__in=involved)
        }
        # Checked again under the lock: a concurrent submission of the same envelope.
        existing = HorizonTransaction.objects.filter(hash=tx_hash).first()
        if existing is not None:
            return Outcome(record=existing)
        refusal = _refusal(envelope, accounts)
        if refusal:
            return Outcome(
                refused_codes={"transaction": refusal},
                refused_hash=tx_hash,
                refused_envelope=envelope_xdr,
            )
        source = accounts[tx.source.account_id]
        fee = BASE_FEE * len(tx.operations)
        ledger = next_ledger()
        native = _balance(source, XLM)
        native.balance -= Decimal(fee) / Decimal(10**7)
        native.save(update_fields=["balance"])
        source.sequence = tx.sequence
        source.last_modified_ledger = ledger
        source.save(update_fields=["sequence", "last_modified_ledger", "updated_at"])
        op_codes: list[str] = []
        try:
            with transaction.atomic():
                for index, operation in enumerate(tx.operations):
                    _apply(operation, index, tx.source.account_id, accounts, ledger)
                    op_codes.append("op_success")
        except OperationFailed as failure:
            op_codes = ["op_success"] * failure.index + [failure.code]
            op_codes += ["op_success"] * (len(tx.operations) - len(op_codes))
            codes = {"transaction": "tx_failed", "operations": op_codes}
            return Outcome(record=_record(envelope, envelope_xdr, tx_hash, ledger, fee, codes))
        return Outcome(record=_record(envelope, envelope_xdr, tx_hash, ledger, fee, {}))


def _destinations(tx) -> list[str]:
    found = []
    for operation in tx.operations:
        if isinstance(operation, ops.Payment):
            found.append(operation.destination.account_id)
        elif isinstance(operation, ops.CreateAccount):
            found.append(operation.destination)
        if operation.source is not None:
            found.append(operation.source.account_id)
    return found


def _refusal(envelope: TransactionEnvelope, accounts: dict) -> str:
    tx = envelope.transaction
    source = accounts.get(tx.source.account_id)
    if source is None:
        return "tx_no_source_account"
    bounds = tx.preconditions.time_bounds if tx.preconditions else None
    now = int(time.time())
    if bounds is not None:
        if bounds.min_time and now < bounds.min_time:
            return "tx_too_early"
        if bounds.max_time and now > bounds.max_time:
            return "tx_too_late"
    if tx.sequence != source.sequence + 1:
        return "tx_bad_seq"
    signers = {tx.source.account_id} | {
        op.source.account_id for op in tx.operations if op.source is not None
    }
    if not all(_signed_by(envelope, account_id) for account_id in signers):
        return "tx_bad_auth"
    if not tx.operations:
        return "tx_missing_operation"
    fee = BASE_FEE * len(tx.operations)
    if tx.fee < fee:
        return "tx_insufficient_fee"
    if _balance(source, XLM).balance * 10**7 < fee:
        return "tx_insufficient_balance"
    return ""


def _signed_by(envelope: TransactionEnvelope, account_id: str) -> bool:
    keypair = Keypair.from_public_key(account_id)
    digest = envelope.hash()
    for signature in envelope.signatures:
        if signature.signature_hint != keypair.signature_hint():
            continue
        try:
            keypair.verify(digest, signature.signature)
        except BadSignatureError:
            continue
        return True
    return False


def _balance(account: HorizonAccount, asset: tuple[str, str]) -> HorizonBalance | None:
    return HorizonBalance.objects.filter(
        account=account, asset_code=asset[0], asset_issuer=asset[1]
    ).first()


def _asset_key(asset) -> tuple[str, str]:
    if asset.is_native():
        return XLM
    return asset.code, asset.issuer


def _reserve(account: HorizonAccount) -> Decimal:
    trustlines = HorizonBalance.objects.filter(account=account).exclude(asset_issuer="").count()
    return (2 + trustlines) * BASE_RESERVE


def _apply(operation, index: int, tx_source: str, accounts: dict, ledger: int) -> None:
    source_id = operation.source.account_id if operation.source is not None else tx_source
    source = accounts[source_id]
    if isinstance(operation, ops.Payment):
        _pay(operation, index, source, accounts, ledger)
    elif isinstance(operation, ops.CreateAccount):
        _create_account(operation, index, source, ledger)
    elif isinstance(operation, ops.ChangeTrust):
        _change_trust(operation, index, source, ledger)
    elif isinstance(operation, ops.BumpSequence):
        if operation.bump_to > source.sequence:
            source.sequence = operation.bump_to
            source.save(update_fields=["sequence"])
    else:
        raise OperationFailed(index, "op_not_supported")


def _pay(operation: ops.Payment, index: int, source, accounts: dict, ledger: int) -> None:
    amount = Decimal(operation.amount)
    key = _asset_key(operation.asset)
    destination = accounts.get(operation.destination.account_id)
    if destination is None:
        raise OperationFailed(index, "op_no_destination")
    issuer = key[1]
    if source.account_id != issuer:
        line = _balance(source, key)
        if line is None:
            raise OperationFailed(index, "op_src_no_trust")
        spendable = line.balance - (_reserve(source) if key == XLM else 0)
        if spendable < amount:
            raise OperationFailed(index, "op_underfunded")
        line.balance -= amount
        line.last_modified_ledger = ledger
        line.save(update_fields=["balance", "last_modified_ledger"])
    if destination.account_id != issuer:
        target = _balance(destination, key)
        if target is None:
            raise OperationFailed(index, "op_no_trust")
        if target.balance + amount > target.limit:
            raise OperationFailed(index, "op_line_full")
        target.balance += amount
        target.last_modified_ledger = ledger
        target.save(update_fields=["balance", "last_modified_ledger"])


def _create_account(operation: ops.CreateAccount, index: int, source, ledger: int) -> None:
    if HorizonAccount.objects.filter(account_id=operation.destination).exists():
        raise OperationFailed(index, "op_already_exists")
    amount = Decimal(operation.starting_balance)
    if amount < 2 * BASE_RESERVE:
        raise OperationFailed(index, "op_low_reserve")
    line = _balance(source, XLM)
    if line.balance - _reserve(source) < amount:
        raise OperationFailed(index, "op_underfunded")
    line.balance -= amount
    line.save(update_fields=["balance"])
    account = HorizonAccount.objects.create(
        account_id=operation.destination,
        sequence=initial_sequence(ledger),
        created_ledger=ledger,
        last_modified_ledger=ledger,
    )
    HorizonBalance.objects.create(
        account=account, asset_code="XLM", balance=amount, last_modified_ledger=ledger
    )


def _change_trust(operation: ops.ChangeTrust, index: int, source, ledger: int) -> None:
    key = _asset_key(operation.asset)
    if key == XLM or key[1] == source.account_id:
        raise OperationFailed(index, "op_malformed")
    limit = Decimal(operation.limit)
    line = _balance(source, key)
    if line is None:
        if limit == 0:
            return
        native = _balance(source, XLM)
        if native.balance < _reserve(source) + BASE_RESERVE:
            raise OperationFailed(index, "op_low_reserve")
        HorizonBalance.objects.create(
            account=source,
            asset_code=key[0],
            asset_issuer=key[1],
            limit=limit,
            last_modified_ledger=ledger,
        )
    elif limit == 0:
        if line.balance:
            raise OperationFailed(index, "op_invalid_limit")
        line.delete()
    else:
        if limit < line.balance:
            raise OperationFailed(index, "op_invalid_limit")
        line.limit = limit
        line.save(update_fields=["limit"])


def _memo(memo) -> tuple[str, str]:
    if isinstance(memo, HashMemo):
        return "hash", base64.b64encode(memo.memo_hash).decode()
    if isinstance(memo, ReturnHashMemo):
        return "return", base64.b64encode(memo.memo_return).decode()
    if isinstance(memo, TextMemo):
        return "text", memo.memo_text.decode(errors="replace")
    if isinstance(memo, IdMemo):
        return "id", str(memo.memo_id)
    assert isinstance(memo, NoneMemo | type(None))
    return "none", ""


def _record(envelope, envelope_xdr: str, tx_hash: str, ledger: int, fee: int, codes: dict):
    tx = envelope.transaction
    memo_type, memo = _memo(tx.memo)
    bounds = tx.preconditions.time_bounds if tx.preconditions else None
    return HorizonTransaction.objects.create(
        hash=tx_hash,
        ledger=ledger,
        source_account=tx.source.account_id,
        source_account_sequence=tx.sequence,
        successful=not codes,
        fee_charged=fee,
        max_fee=tx.fee,
        operation_count=len(tx.operations),
        memo_type=memo_type,
        memo=memo,
        envelope_xdr=envelope_xdr,
        result_xdr=result_xdr(fee, codes, tx.operations),
        result_codes=codes,
        valid_after=bounds.min_time if bounds else None,
        valid_before=bounds.max_time if bounds else None,
        signatures=[base64.b64encode(s.signature).decode() for s in envelope.signatures],
        accounts=sorted({tx.source.account_id, *_destinations(tx)}),
    )


_TX_CODE_NAMES = {"tx_no_source_account": "txNO_ACCOUNT"}


def refused_result_xdr(code: str) -> str:
    name = _TX_CODE_NAMES.get(code, "tx" + code[3:].upper())
    if name not in xdr.TransactionResultCode.__members__:
        name = "txFAILED"
    result = xdr.TransactionResult(
        fee_charged=xdr.Int64(0),
        result=xdr.TransactionResultResult(code=xdr.TransactionResultCode[name]),
        ext=xdr.TransactionResultExt(0),
    )
    return result.to_xdr()


_OP_RESULTS = {
    ops.Payment: ("PAYMENT", "payment_result", xdr.PaymentResult, xdr.PaymentResultCode),
    ops.CreateAccount: (
        "CREATE_ACCOUNT",
        "create_account_result",
        xdr.CreateAccountResult,
        xdr.CreateAccountResultCode,
    ),
    ops.ChangeTrust: (
        "CHANGE_TRUST",
        "change_trust_result",
        xdr.ChangeTrustResult,
        xdr.ChangeTrustResultCode,
    ),
    ops.BumpSequence: (
        "BUMP_SEQUENCE",
        "bump_seq_result",
        xdr.BumpSequenceResult,
        xdr.BumpSequenceResultCode,
    ),
}
_OP_CODE_NAMES = {"op_already_exists": "ALREADY_EXIST"}


def result_xdr(fee: int, codes: dict, operations) -> str:
    """A real ``TransactionResult`` XDR for the outcome (stellar-sdk decodes it)."""
    op_codes = codes.get("operations") or ["op_success"] * len(operations)
    results = []
    for operation, code in zip(operations, op_codes, strict=False):
        if type(operation) not in _OP_RESULTS:
            results.append(xdr.OperationResult(code=xdr.OperationResultCode.opNOT_SUPPORTED))
            continue
        prefix, attribute, result_class, code_enum = _OP_RESULTS[type(operation)]
        tail = _OP_CODE_NAMES.get(code, code[3:].upper())
        name = f"{prefix}_{tail}"
        if name not in code_enum.__members__:
            name = f"{prefix}_MALFORMED"
        inner = xdr.OperationResultTr(
            type=xdr.OperationType[prefix], **{attribute: result_class(code_enum[name])}
        )
        results.append(xdr.OperationResult(code=xdr.OperationResultCode.opINNER, tr=inner))
    code = xdr.TransactionResultCode.txFAILED if codes else xdr.TransactionResultCode.txSUCCESS
    result = xdr.TransactionResult(
        fee_charged=xdr.Int64(fee),
        result=xdr.TransactionResultResult(code=code, results=results),
        ext=xdr.TransactionResultExt(0),
    )
    return result.to_xdr()
