"""Orders: top-ups, extensions and SIM orders all leave one."""

from collections.abc import Sequence
from datetime import datetime

from simulators.onence.models import (
    OnenceAccount,
    OnenceOrder,
    OnenceOrderStatus,
    OnenceOrderType,
)
from simulators.onence.products import unit_price

_VOLUME_ORDERS = [OnenceOrderType.TOPUP, OnenceOrderType.BULK_TOPUP]


def build_order(
    *,
    account_id: int,
    order_type: str,
    product_id: int,
    quantity: int,
    at: datetime,
    iccids: Sequence[str] = (),
    payment_method: str = "banktransfer",
    status: str = OnenceOrderStatus.COMPLETED,
) -> OnenceOrder:
    """An unsaved order for ``quantity`` units of one product."""
    return OnenceOrder(
        account_id=account_id,
        order_type=order_type,
        status=status,
        order_date=at,
        payment_method=payment_method,
        invoice_amount=unit_price(product_id) * quantity,
        products=[{"product_id": product_id, "quantity": quantity}],
        iccids=list(iccids),
    )


def first_or_additional(account: OnenceAccount) -> str:
    """A SIM order is the account's first unless it has ordered SIMs before."""
    if account.orders.exclude(order_type__in=_VOLUME_ORDERS).exists():
        return OnenceOrderType.ADDITIONAL_ORDER
    return OnenceOrderType.FIRST_ORDER
