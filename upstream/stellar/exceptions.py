"""Stellar's own failures, as typed upstream errors (``core.exceptions`` maps them once).

A transaction Horizon refused carries its result codes (``result_codes``): the transaction's
(``tx_failed``, ``tx_bad_seq``, ``tx_bad_auth``, ...) and one per operation
(``op_underfunded``, ``op_no_trust``, ...). None of these moved any money: a refused or failed
transaction applies no operation. A submission Horizon did not confirm in time
(:class:`StellarTimeout`) is the ambiguous case: it may still be applied.
"""

from upstream.exceptions import UpstreamRejected, UpstreamTimeout

UPSTREAM = "Stellar"


class StellarTransactionFailed(UpstreamRejected):
    """Horizon refused the transaction or it failed on the ledger; nothing was paid."""

    def __init__(
        self,
        message: str,
        *,
        result_codes: dict | None = None,
        transaction_hash: str = "",
        status_code: int | None = 400,
    ):
        super().__init__(message, upstream=UPSTREAM, status_code=status_code)
        self.result_codes = result_codes or {}
        self.transaction_hash = transaction_hash

    @property
    def operation_codes(self) -> list[str]:
        return list(self.result_codes.get("operations") or [])

    @property
    def transaction_code(self) -> str:
        return str(self.result_codes.get("transaction") or "")

    @property
    def public_details(self) -> dict:
        details = {"upstream": self.upstream, "result_codes": self.result_codes}
        if self.transaction_hash:
            details["transaction_hash"] = self.transaction_hash
        return details


class StellarInsufficientBalance(StellarTransactionFailed):
    """``op_underfunded``: the paying account lacks the asset (or XLM above its reserve)."""


class StellarNoTrustline(StellarTransactionFailed):
    """``op_no_trust`` / ``op_src_no_trust``: an account does not trust the asset."""


class StellarTimeout(UpstreamTimeout):
    """No confirmation within the timeout: the transaction may still be applied."""

    def __init__(self, message: str, *, transaction_hash: str = ""):
        super().__init__(message, upstream=UPSTREAM)
        self.transaction_hash = transaction_hash

    @property
    def public_details(self) -> dict:
        details = {"upstream": self.upstream}
        if self.transaction_hash:
            details["transaction_hash"] = self.transaction_hash
        return details


_OPERATION_ERRORS = {
    "op_underfunded": StellarInsufficientBalance,
    "op_no_trust": StellarNoTrustline,
    "op_src_no_trust": StellarNoTrustline,
    "op_not_authorized": StellarNoTrustline,
}
_TRANSACTION_ERRORS = {"tx_insufficient_balance": StellarInsufficientBalance}


def transaction_failure(
    result_codes: dict, *, transaction_hash: str = ""
) -> StellarTransactionFailed:
    """The typed error for Horizon's ``extras.result_codes``."""
    codes = result_codes or {}
    error = _TRANSACTION_ERRORS.get(str(codes.get("transaction") or ""))
    for code in codes.get("operations") or []:
        error = error or _OPERATION_ERRORS.get(code)
    error = error or StellarTransactionFailed
    summary = ", ".join(
        [str(codes.get("transaction") or "tx_failed"), *(codes.get("operations") or [])]
    )
    return error(
        f"Stellar refused the transaction ({summary}).",
        result_codes=codes,
        transaction_hash=transaction_hash,
    )
