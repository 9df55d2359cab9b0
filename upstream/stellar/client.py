"""The Stellar client: build, sign and submit payments and attestations through Horizon.

Built on stellar-sdk (``Server``, ``TransactionBuilder``) with FleetOps' HTTP conventions
(``transport.HorizonHttpClient``). Keys come in as :class:`Signer` per call and are used to
sign in memory; they are never stored on the client, logged, or put in an error.

Exactly-once payments rest on three facts this client exposes: a signed envelope can be
submitted again safely (same hash, same sequence number: the network applies it at most
once); an envelope whose sequence number is used up, or whose time bounds have passed, can
never be applied any more (:meth:`StellarClient.can_still_apply`); and the account's history
can be searched for a memo (:meth:`StellarClient.find_transaction_by_memo`).
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from stellar_sdk import Memo, Network, Server, TransactionBuilder, TransactionEnvelope
from stellar_sdk.exceptions import (
    BadRequestError,
    BadResponseError,
    BaseHorizonError,
    NotFoundError,
)
from stellar_sdk.memo import HashMemo, NoneMemo

from upstream import clock
from upstream.exceptions import (
    UpstreamError,
    UpstreamNotFound,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from upstream.stellar.exceptions import (
    UPSTREAM,
    StellarTimeout,
    StellarTransactionFailed,
    transaction_failure,
)
from upstream.stellar.formats import amount_text
from upstream.stellar.models import (
    AccountState,
    Balance,
    LedgerTransaction,
    SignedEnvelope,
    Signer,
    StellarAsset,
)
from upstream.stellar.transport import HorizonHttpClient

PAGE_LIMIT = 200  # Horizon's largest page


@dataclass(frozen=True)
class StellarNetwork:
    """Which network FleetOps pays on: Horizon's URL and the network passphrase (testnet
    unless the settings say otherwise), friendbot where the network has one."""

    horizon_url: str
    passphrase: str = Network.TESTNET_NETWORK_PASSPHRASE
    friendbot_url: str = ""
    base_fee: int = 100  # stroops per operation

    @classmethod
    def from_settings(cls) -> "StellarNetwork":
        return cls(
            horizon_url=settings.HORIZON_URL,
            passphrase=settings.STELLAR_NETWORK_PASSPHRASE,
            friendbot_url=settings.STELLAR_FRIENDBOT_URL,
            base_fee=settings.STELLAR_BASE_FEE,
        )

    @property
    def is_public(self) -> bool:
        return self.passphrase == Network.PUBLIC_NETWORK_PASSPHRASE


class StellarClient:
    """One Horizon server's client; one pooled session, safe to share between threads."""

    def __init__(self, network: StellarNetwork):
        self.network = network
        self.http = HorizonHttpClient(horizon_url=network.horizon_url)
        self.server = Server(horizon_url=network.horizon_url, client=self.http)

    def __repr__(self) -> str:
        return f"StellarClient(horizon_url={self.network.horizon_url!r})"

    def close(self) -> None:
        self.http.close()

    # --- accounts ------------------------------------------------------------------------

    def get_account(self, account_id: str) -> AccountState:
        """The account's sequence number and balances; ``UpstreamNotFound`` when the account
        does not exist on the ledger (never funded)."""
        body = self._read(lambda: self.server.accounts().account_id(account_id).call())
        return AccountState(
            account_id=body["account_id"],
            sequence=int(body["sequence"]),
            balances=[_balance(item) for item in body.get("balances", [])],
        )

    def fund_with_friendbot(self, account_id: str) -> LedgerTransaction:
        """Create and fund ``account_id`` through the network's friendbot (testnet only)."""
        if not self.network.friendbot_url or self.network.is_public:
            raise UpstreamError(
                "This Stellar network has no friendbot; fund the account from a wallet.",
                upstream=UPSTREAM,
            )
        # The friendbot may live on another host than Horizon: its own transport.
        friendbot = HorizonHttpClient(horizon_url=self.network.friendbot_url)
        try:
            response = friendbot.get(self.network.friendbot_url, params={"addr": account_id})
        finally:
            friendbot.close()
        return _ledger_transaction(response.json())

    # --- building ------------------------------------------------------------------------

    def build_payment(
        self,
        *,
        signer: Signer,
        destination: str,
        asset: StellarAsset,
        amount: Decimal,
        memo_hash: bytes,
        timeout_seconds: int,
    ) -> SignedEnvelope:
        """A payment of ``amount`` ``asset`` from the signer's account to ``destination``,
        signed, with ``memo_hash`` as its memo and time bounds ``timeout_seconds`` from now.
        Reads the account's sequence number from Horizon (nothing is submitted)."""
        return self._build(
            signer,
            HashMemo(memo_hash),
            timeout_seconds,
            lambda builder: builder.append_payment_op(
                destination=destination, asset=asset.sdk(), amount=amount_text(amount)
            ),
        )

    def build_attestation(
        self, *, signer: Signer, memo_hash: bytes, timeout_seconds: int
    ) -> SignedEnvelope:
        """A transaction that records ``memo_hash`` on the ledger and changes nothing else
        (one ``bump_sequence`` to 0, which is a no-op): the account and the close time attest
        that the document with this digest existed then."""
        return self._build(
            signer,
            HashMemo(memo_hash),
            timeout_seconds,
            lambda builder: builder.append_bump_sequence_op(bump_to=0),
        )

    def build_trustline(
        self, *, signer: Signer, asset: StellarAsset, timeout_seconds: int
    ) -> SignedEnvelope:
        """A ``change_trust`` from the signer's account to ``asset`` (so it can receive it)."""
        return self._build(
            signer,
            NoneMemo(),
            timeout_seconds,
            lambda builder: builder.append_change_trust_op(asset=asset.sdk()),
        )

    def _build(self, signer: Signer, memo: Memo, timeout_seconds: int, add_operation):
        keypair = signer.keypair()
        account = self._read(lambda: self.server.load_account(keypair.public_key))
        builder = TransactionBuilder(
            source_account=account,
            network_passphrase=self.network.passphrase,
            base_fee=self.network.base_fee,
        )
        add_operation(builder)
        builder.add_memo(memo)
        builder.add_time_bounds(0, int(clock.now()) + timeout_seconds)
        envelope = builder.build()
        envelope.sign(keypair)
        return SignedEnvelope(
            xdr=envelope.to_xdr(),
            hash=envelope.hash_hex(),
            source=keypair.public_key,
            sequence=envelope.transaction.sequence,
            max_time=envelope.transaction.preconditions.time_bounds.max_time,
        )

    # --- submitting ----------------------------------------------------------------------

    def submit(self, envelope: SignedEnvelope) -> LedgerTransaction:
        """Submit a signed envelope once and wait for Horizon's verdict.

        Returns the transaction as applied. Raises ``StellarTransactionFailed`` (or a subclass)
        when it was refused or failed (nothing paid), ``StellarTimeout`` when no confirmation
        came in time and ``UpstreamUnavailable`` for a 5xx or a lost connection (both
        ambiguous: it may still be applied), ``UpstreamNotReached`` when nothing was sent."""
        try:
            body = self.server.submit_transaction(
                TransactionEnvelope.from_xdr(envelope.xdr, self.network.passphrase),
                skip_memo_required_check=True,
            )
        except UpstreamTimeout as exc:
            raise StellarTimeout(str(exc), transaction_hash=envelope.hash) from None
        except BadRequestError as exc:
            raise self._refusal(exc, envelope) from None
        except BadResponseError as exc:
            if exc.status == 504:
                raise StellarTimeout(
                    "Stellar Horizon did not confirm the transaction in time; it may still be "
                    "applied.",
                    transaction_hash=envelope.hash,
                ) from None
            raise UpstreamUnavailable(
                f"Stellar Horizon submit_transaction: HTTP {exc.status}; the transaction may "
                "have been applied",
                upstream=UPSTREAM,
                status_code=exc.status,
            ) from None
        except BaseHorizonError as exc:
            raise UpstreamError(
                f"Stellar Horizon submit_transaction: HTTP {exc.status}",
                upstream=UPSTREAM,
                status_code=exc.status,
            ) from None
        transaction = _ledger_transaction(body)
        if not transaction.successful:
            raise transaction_failure(
                transaction.result_codes or {"transaction": "tx_failed"},
                transaction_hash=transaction.hash,
            )
        return transaction

    def _refusal(self, exc: BadRequestError, envelope: SignedEnvelope) -> UpstreamError:
        if exc.status == 429:
            return UpstreamUnavailable(
                "Stellar Horizon rate limited the submission (HTTP 429).",
                upstream=UPSTREAM,
                status_code=429,
            )
        extras = exc.extras or {}
        codes = extras.get("result_codes")
        if codes:
            return transaction_failure(codes, transaction_hash=envelope.hash)
        return StellarTransactionFailed(
            f"Stellar Horizon refused the transaction: {exc.title or 'bad request'}.",
            result_codes={"transaction": "tx_malformed"},
            transaction_hash=envelope.hash,
            status_code=exc.status,
        )

    # --- reading the ledger --------------------------------------------------------------

    def get_transaction(self, transaction_hash: str) -> LedgerTransaction | None:
        """The transaction with this hash as the ledger has it; ``None`` when it is not
        (or not yet) in a ledger."""
        try:
            body = self._read(
                lambda: self.server.transactions().transaction(transaction_hash).call()
            )
        except UpstreamNotFound:
            return None
        return _ledger_transaction(body)

    def iter_account_transactions(
        self, account_id: str, *, since: datetime | None = None, max_pages: int | None = None
    ) -> Iterator[LedgerTransaction]:
        """The account's transactions, newest first (failed ones included), down to
        ``since``. Raises ``UpstreamError`` rather than stop silently when ``max_pages`` pages
        of 200 do not reach ``since`` (or the account's first transaction)."""
        max_pages = max_pages or settings.STELLAR_MEMO_SEARCH_PAGES
        cursor = None
        for _ in range(max_pages):
            builder = (
                self.server.transactions()
                .for_account(account_id)
                .include_failed(True)
                .order(desc=True)
                .limit(PAGE_LIMIT)
            )
            if cursor:
                builder = builder.cursor(cursor)
            try:
                body = self._read(builder.call)
            except UpstreamNotFound:
                return
            records = body.get("_embedded", {}).get("records", [])
            for record in records:
                transaction = _ledger_transaction(record)
                if since and transaction.created_at and transaction.created_at < since:
                    return
                yield transaction
            if len(records) < PAGE_LIMIT:
                return
            cursor = records[-1].get("paging_token")
        # Stopped before the end of what was asked: "not found" would be a guess.
        raise UpstreamError(
            f"Stellar Horizon: the account's history was searched {max_pages} pages deep "
            "without reaching the start of the search; nothing is concluded from it.",
            upstream=UPSTREAM,
        )

    def find_transaction_by_memo(
        self,
        *,
        account_id: str,
        memo_hash: bytes,
        since: datetime | None = None,
        successful_only: bool = False,
    ) -> LedgerTransaction | None:
        """The newest transaction of ``account_id`` carrying ``memo_hash`` (back to
        ``since``), failed ones too unless ``successful_only``; ``None`` when there is none."""
        for transaction in self.iter_account_transactions(account_id, since=since):
            if transaction.memo_bytes == memo_hash and (
                transaction.successful or not successful_only
            ):
                return transaction
        return None

    def can_still_apply(self, envelope: SignedEnvelope, account: AccountState) -> bool:
        """Whether a submitted envelope that is not in the ledger could still be applied:
        its sequence number is still ahead of the account's and its time bounds are open.
        When False it never will be, and a new envelope is safe to build."""
        if envelope.sequence <= account.sequence:
            return False
        return not envelope.max_time or envelope.max_time >= clock.now()

    # --- plumbing ------------------------------------------------------------------------

    def _read(self, call):
        try:
            return call()
        except NotFoundError as exc:  # only when the transport hands one back
            raise UpstreamNotFound("Stellar Horizon: not found", upstream=UPSTREAM) from exc
        except BaseHorizonError as exc:
            raise UpstreamError(
                f"Stellar Horizon: HTTP {exc.status}", upstream=UPSTREAM, status_code=exc.status
            ) from None


def _balance(item: dict) -> Balance:
    if item.get("asset_type") == "native":
        return Balance(asset_type="native", balance=Decimal(item["balance"]))
    return Balance(
        asset_type=item.get("asset_type", ""),
        balance=Decimal(item["balance"]),
        asset_code=item.get("asset_code", ""),
        asset_issuer=item.get("asset_issuer", ""),
    )


def _ledger_transaction(body: dict) -> LedgerTransaction:
    created_at = body.get("created_at")
    created_at = datetime.fromisoformat(created_at.replace("Z", "+00:00")) if created_at else None
    codes = {}
    if body.get("result_xdr") and body.get("successful") is False:
        codes = _result_codes(body["result_xdr"])
    return LedgerTransaction(
        hash=body.get("hash", ""),
        successful=bool(body.get("successful", True)),
        ledger=body.get("ledger"),
        created_at=created_at,
        source_account=body.get("source_account", ""),
        memo_type=body.get("memo_type", "none"),
        memo=body.get("memo", ""),
        fee_charged=int(body.get("fee_charged") or 0),
        paging_token=str(body.get("paging_token", "")),
        result_codes=codes,
    )


def _result_codes(result_xdr: str) -> dict:
    """Horizon's ``result_codes`` spelling from a ``TransactionResult`` XDR."""
    from stellar_sdk import xdr as stellar_xdr

    try:
        result = stellar_xdr.TransactionResult.from_xdr(result_xdr)
    except Exception:
        return {"transaction": "tx_failed"}
    code = result.result.code.name
    operations = []
    for op in result.result.results or []:
        inner = op.tr
        if inner is None:
            operations.append(op.code.name.lower())
            continue
        value = next((v for k, v in vars(inner).items() if k != "type" and v is not None), None)
        operations.append(_op_code(value.code.name) if value is not None else "op_inner")
    return {"transaction": _tx_code(code), "operations": operations}


def _tx_code(name: str) -> str:
    # XDR names are TransactionResultCode.txFAILED -> "tx_failed" in Horizon's spelling.
    name = name.upper()
    return "tx_" + name[2:].lower() if name.startswith("TX") else name.lower()


def _op_code(name: str) -> str:
    # PAYMENT_UNDERFUNDED -> op_underfunded, PAYMENT_SUCCESS -> op_success
    tail = name.split("_", 1)[1] if "_" in name else name
    return "op_" + tail.lower()
