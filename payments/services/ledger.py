"""Exactly-once settlement of one ledger transaction: a ``Payment`` or an ``Attestation``.

The rules, in order (each write is committed before the next network call):

1. The row exists, with its deterministic memo, before anything is built or sent.
2. One settler at a time per row (a heartbeat lock: a killed worker's lock expires quickly).
3. If an envelope was ever stored, the ledger is asked first: a *successful* transaction of the
   paying account carrying the memo means the row is paid (whatever we heard before); the
   stored envelope's hash found failed in the ledger means it failed.
4. Otherwise the stored envelope is submitted again if the network could still apply it (its
   sequence number is unused and its time bounds open): resubmitting the same signed
   envelope can apply it at most once. Only an envelope that can never apply any more is
   replaced by a new one, and the new one is stored before it is sent.
5. A refusal (result codes) fails the row; ``tx_bad_seq`` (the account's sequence number moved
   under us) goes back to step 3. A lost answer (timeout, 5xx after sending) leaves the row
   ``submitted``: one quick ledger search may confirm it at once, else the follow-up job
   (``follow_submissions``) settles it later by the same steps.

So a lost answer or a killed worker never pays twice, and nothing submitted is forgotten.
Secrets are used to sign in memory only (``upstream.stellar.Signer``); the row keeps the
signed envelope, which holds a signature and no key.
"""

from collections.abc import Callable
from datetime import timedelta

import structlog
from django.db import connection, transaction
from django.utils import timezone

from core.context import Context
from core.errors import Conflict, UpstreamWriteFailed
from core.events import EVENT_NAMES, publish
from core.locks import HeartbeatLock
from outages.services import record_payment_on_timeline
from payments.models import LedgerStatus, LedgerSubmission, Payment, PaymentEvent
from payments.services.accounts import stellar_client, stellar_keys_for
from upstream.exceptions import UpstreamError, UpstreamTimeout, certainly_not_applied
from upstream.stellar import (
    LedgerTransaction,
    SignedEnvelope,
    Signer,
    StellarClient,
    StellarTimeout,
    StellarTransactionFailed,
)

logger = structlog.get_logger(__name__)

Build = Callable[[StellarClient, Signer], SignedEnvelope]
MAX_REBUILDS = 3
LOCK_TTL_SECONDS = 60
# The ledger search starts this long before the row was created (clock skew).
SEARCH_MARGIN = timedelta(minutes=10)


def settle(row: LedgerSubmission, *, build: Build) -> LedgerSubmission:
    """Bring ``row`` to the ledger exactly once and record the outcome (see the module doc).

    Returns the row (``confirmed``, or ``failed`` never: a failure raises). Raises
    ``UpstreamWriteFailed`` whose cause says why: a refusal (``STELLAR_*`` codes, row
    ``failed``), an ambiguous outcome (``STELLAR_TIMEOUT``, 503; row ``submitted``, settled
    later), or a failure before anything was sent. Must run outside a database transaction:
    its writes are committed before each network call."""
    if connection.in_atomic_block:
        raise RuntimeError("settle() commits before each submission: call it outside atomic().")
    lock = HeartbeatLock(f"payments:settle:{row._meta.label_lower}:{row.pk}", ttl=LOCK_TTL_SECONDS)
    if not lock.acquire():
        raise Conflict(
            "This transaction is being settled right now; try again shortly.",
            details={"id": row.pk, "status": row.status},
        )
    try:
        row.refresh_from_db()
        if row.is_final:
            return row
        signer = stellar_keys_for(organization=row.organization).signer(row.source_role)
        return _settle(row, stellar_client(), signer, build)
    finally:
        lock.release()


def _settle(row, client: StellarClient, signer: Signer, build: Build):
    for _ in range(MAX_REBUILDS):
        envelope = None
        if row.envelope_xdr:
            found = ledger_outcome(client, row)
            if found is not None:
                return _record_found(row, found)
            stored = stored_envelope(row)
            if client.can_still_apply(stored, client.get_account(row.from_address)):
                envelope = stored
        if envelope is None:
            envelope = build(client, signer)
            _record_envelope(row, envelope)
        try:
            applied = client.submit(envelope)
        except StellarTransactionFailed as exc:
            if exc.transaction_code == "tx_bad_seq":
                logger.info("ledger_bad_seq", row=row._meta.label_lower, id=row.pk)
                continue
            _record_failure(row, exc)
            raise _write_failed(row, exc) from None
        except UpstreamError as exc:
            if certainly_not_applied(exc):
                _save(row, status=LedgerStatus.PENDING)  # never reached the network
            else:
                found = _quiet_outcome(client, row)
                if found is not None:
                    return _record_found(row, found)
                if isinstance(exc, UpstreamTimeout) and not isinstance(exc, StellarTimeout):
                    exc = StellarTimeout(str(exc), transaction_hash=envelope.hash)
            logger.warning(
                "ledger_outcome_unknown", row=row._meta.label_lower, id=row.pk, error=str(exc)
            )
            raise _write_failed(row, exc) from None
        return _record_confirmed(row, applied)
    exc = StellarTransactionFailed(
        "The paying account's sequence number kept changing; try again.",
        result_codes={"transaction": "tx_bad_seq"},
    )
    raise _write_failed(row, exc)


def ledger_outcome(client: StellarClient, row) -> LedgerTransaction | None:
    """What the ledger says of the row: a successful transaction with its memo, or its last
    envelope's transaction (failed); ``None`` when it has neither."""
    since = row.created_at - SEARCH_MARGIN
    memo = bytes.fromhex(row.memo)
    found = client.find_transaction_by_memo(
        account_id=row.from_address, memo_hash=memo, since=since, successful_only=True
    )
    if found is not None:
        return found
    if row.transaction_hash:
        return client.get_transaction(row.transaction_hash)
    return None


def _quiet_outcome(client, row) -> LedgerTransaction | None:
    try:
        return ledger_outcome(client, row)
    except UpstreamError:
        return None


def stored_envelope(row) -> SignedEnvelope:
    return SignedEnvelope(
        xdr=row.envelope_xdr,
        hash=row.transaction_hash,
        source=row.from_address,
        sequence=row.envelope_sequence or 0,
        max_time=row.envelope_max_time or 0,
    )


def _save(row, **fields) -> None:
    for name, value in fields.items():
        setattr(row, name, value)
    row.save(update_fields=[*fields, "updated_at"])


# What each payment step reads as on its outage's timeline.
TIMELINE_WORDS = {
    "payment.submitted": "submitted to Stellar",
    "payment.completed": "confirmed on Stellar",
    "payment.failed": "failed on Stellar",
}


def _event(row, kind: str, **data) -> None:
    """A payment's step, in the transaction of its status change: its ``PaymentEvent``, the
    event on the one stream (``core.events``, seed 004's webhook payload) for the names
    receivers subscribe to, and a line on its outage's timeline."""
    if not isinstance(row, Payment):
        return
    event = PaymentEvent.objects.create(
        payment=row,
        kind=kind,
        data={
            "outage_id": row.outage_ref,
            "transaction_hash": row.transaction_hash,
            "amount": str(row.amount),
            "type": row.payment_type,
            **data,
        },
    )
    if kind in EVENT_NAMES:
        publish(
            kind,
            organization_id=row.organization_id,
            subject=f"payment:{row.pk}",
            data=event.data,
            occurred_at=event.created_at,
        )
    if row.outage_id is not None:
        record_payment_on_timeline(
            outage=row.outage,
            event=(
                f"{row.get_payment_type_display()} of {row.amount.normalize():f} "
                f"{row.asset_code} {TIMELINE_WORDS.get(kind, kind)}"
            ),
            context=Context.system(via="payments"),
            details={"payment_id": row.pk, "transaction_hash": row.transaction_hash},
        )


def _record_envelope(row, envelope: SignedEnvelope) -> None:
    with transaction.atomic():
        _save(
            row,
            envelope_xdr=envelope.xdr,
            envelope_sequence=envelope.sequence,
            envelope_max_time=envelope.max_time,
            transaction_hash=envelope.hash,
            attempts=row.attempts + 1,
            status=LedgerStatus.SUBMITTED,
            submitted_at=timezone.now(),
        )
        _event(row, "payment.submitted")


def _record_found(row, found: LedgerTransaction):
    if found.successful:
        return _record_confirmed(row, found)
    exc = StellarTransactionFailed(
        "The transaction failed on the ledger.",
        result_codes=found.result_codes or {"transaction": "tx_failed"},
        transaction_hash=found.hash,
    )
    _record_failure(row, exc)
    raise _write_failed(row, exc)


def _record_confirmed(row, applied: LedgerTransaction):
    with transaction.atomic():
        _save(
            row,
            status=LedgerStatus.CONFIRMED,
            transaction_hash=applied.hash,
            ledger=applied.ledger,
            fee_charged=applied.fee_charged,
            confirmed_at=applied.created_at or timezone.now(),
            error_code="",
            error_details={},
        )
        _event(row, "payment.completed")
    logger.info("ledger_confirmed", row=row._meta.label_lower, id=row.pk, tx=applied.hash)
    return row


def _record_failure(row, exc: StellarTransactionFailed) -> None:
    from core.outcomes import upstream_status

    with transaction.atomic():
        _save(
            row,
            status=LedgerStatus.FAILED,
            failed_at=timezone.now(),
            error_code=upstream_status(exc)[1],
            error_details={"result_codes": exc.result_codes},
        )
        _event(row, "payment.failed", result_codes=exc.result_codes)
    logger.warning("ledger_failed", row=row._meta.label_lower, id=row.pk, codes=exc.result_codes)


def _write_failed(row, exc: UpstreamError) -> UpstreamWriteFailed:
    details = {
        "id": row.pk,
        "status": row.status,
        "transaction_hash": row.transaction_hash,
        **exc.public_details,
    }
    if row.status == LedgerStatus.SUBMITTED:
        details["note"] = (
            "The outcome is not known yet; it is settled from the ledger shortly, never paid twice."
        )
    return UpstreamWriteFailed(exc.public_message, cause=exc, details=details)


def follow_submissions(model, *, older_than_seconds: int = 30, limit: int = 200) -> dict:
    """Settle rows of ``model`` whose outcome is open (submitted, or pending with an envelope
    that may have been sent), oldest first; one failure does not stop the others."""
    from django.db.models import Q

    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    rows = (
        model.objects.filter(
            Q(status=LedgerStatus.SUBMITTED) | Q(status=LedgerStatus.PENDING, attempts__gt=0),
            updated_at__lte=cutoff,
        )
        .select_related("organization")
        .order_by("updated_at", "pk")[:limit]
    )
    counts = {"confirmed": 0, "failed": 0, "open": 0}
    for row in rows:
        try:
            settle(row, build=builder_for(row))
        except UpstreamWriteFailed:
            pass
        except (UpstreamError, Conflict) as exc:
            logger.warning("follow_up_skipped", id=row.pk, error=str(exc))
        row.refresh_from_db(fields=["status"])
        key = row.status if row.status in counts else "open"
        counts[key] += 1
    return counts


def builder_for(row) -> Build:
    """How to build a (new) envelope for the row: its kind's builder."""
    from payments.services.attestations import attestation_builder
    from payments.services.payments import payment_builder

    return payment_builder(row) if isinstance(row, Payment) else attestation_builder(row)
