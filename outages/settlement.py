"""Where an SLA result's settlement (smart contract, Stellar payment) comes from.

Outages knows SLA results; payments (the next issue) knows whether one was attested on chain
and paid. Until payments registers its source, every result reads as not settled and not
attested. Payments fills it in with one call at start-up (its ``AppConfig.ready``)::

    from outages.settlement import register_settlement_source
    register_settlement_source(PaymentsSettlements())

A source answers for many results at once (lists stay one query per page, not one per row).
"""

from dataclasses import dataclass
from typing import Protocol

NOT_ATTESTED = "not_attested"


@dataclass(frozen=True, slots=True)
class Settlement:
    """What seed 004 shows of a result's settlement (``sla_status``, ``contract_invocation``,
    ``stellar_payment``)."""

    smart_contract_invoked: bool = False
    contract_tx_hash: str | None = None
    contract_status: str = NOT_ATTESTED
    gas_cost_xlm: str | None = None
    payment_executed: bool = False
    payment_tx_hash: str | None = None
    payment: dict | None = None  # seed 004's stellar_payment object, once there is one

    def contract_invocation(self) -> dict:
        return {
            "tx_hash": self.contract_tx_hash,
            "status": self.contract_status,
            "gas_cost_xlm": self.gas_cost_xlm,
        }


NOT_SETTLED = Settlement()


class SettlementSource(Protocol):
    def settlements_for(self, result_ids: list[int]) -> dict[int, Settlement]:
        """The settlement of each SLA result id that has one (absent ids: not settled)."""


class _Unsettled:
    def settlements_for(self, result_ids: list[int]) -> dict[int, Settlement]:
        return {}


_source: SettlementSource = _Unsettled()


def register_settlement_source(source: SettlementSource) -> None:
    global _source
    _source = source


def settlements_for(result_ids: list[int]) -> dict[int, Settlement]:
    """Each result id's settlement; ``NOT_SETTLED`` for those without one."""
    ids = [i for i in result_ids if i is not None]
    known = _source.settlements_for(ids) if ids else {}
    return {i: known.get(i, NOT_SETTLED) for i in ids}
