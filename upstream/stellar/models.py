"""Plain data in and out of the Stellar client (no Django models)."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from stellar_sdk import Asset, Keypair

NATIVE = "XLM"


@dataclass(frozen=True)
class StellarAsset:
    """An asset: ``XLM`` (native) or a code and its issuer."""

    code: str
    issuer: str = ""

    @property
    def is_native(self) -> bool:
        return self.code == NATIVE and not self.issuer

    def sdk(self) -> Asset:
        return Asset.native() if self.is_native else Asset(self.code, self.issuer)

    @property
    def asset_type(self) -> str:
        if self.is_native:
            return "native"
        return "credit_alphanum4" if len(self.code) <= 4 else "credit_alphanum12"


@dataclass(frozen=True)
class Signer:
    """A signing key held in memory only. Its secret is never printed: ``repr`` shows the
    public key alone, and nothing in the client logs or raises with it."""

    _secret: str = field(repr=False)

    def __post_init__(self):
        Keypair.from_secret(self._secret)  # raises Ed25519SecretSeedInvalidError when malformed

    @property
    def public_key(self) -> str:
        return Keypair.from_secret(self._secret).public_key

    def keypair(self) -> Keypair:
        return Keypair.from_secret(self._secret)

    def __repr__(self) -> str:
        return f"Signer(public_key={self.public_key!r})"

    __str__ = __repr__


@dataclass(frozen=True)
class Balance:
    asset_type: str
    balance: Decimal
    asset_code: str = NATIVE
    asset_issuer: str = ""


@dataclass(frozen=True)
class AccountState:
    account_id: str
    sequence: int
    balances: list[Balance]

    def trusts(self, asset: StellarAsset) -> bool:
        return asset.is_native or any(
            b.asset_code == asset.code and b.asset_issuer == asset.issuer for b in self.balances
        )


@dataclass(frozen=True)
class SignedEnvelope:
    """A signed transaction ready to submit: its XDR (a signature, no secret), hash,
    sequence number and the time after which the network will never apply it."""

    xdr: str
    hash: str
    source: str
    sequence: int
    max_time: int  # epoch seconds; 0 when unbounded


@dataclass(frozen=True)
class LedgerTransaction:
    """A transaction as Horizon reports it once it is in a ledger."""

    hash: str
    successful: bool
    ledger: int | None
    created_at: datetime | None
    source_account: str
    memo_type: str
    memo: str  # Horizon's rendering: base64 for hash memos
    fee_charged: int
    paging_token: str = ""
    result_codes: dict = field(default_factory=dict)

    @property
    def memo_bytes(self) -> bytes | None:
        import base64

        if self.memo_type not in ("hash", "return"):
            return None
        try:
            return base64.b64decode(self.memo)
        except ValueError:
            return None
