"""Every change the simulator's API makes: SIM updates, resets, top-ups, SMS, orders, limits.

Each function saves the change and the events it causes in one transaction. Usage is
accounted (``catch_up``) before a change, so what a SIM used under its old state stays there.
"""

from datetime import datetime, timedelta

from django.db import transaction

from simulators.onence import sms as sms_logic
from simulators.onence.identifiers import serial_of
from simulators.onence.models import (
    OnenceAccount,
    OnenceEvent,
    OnenceEventSource,
    OnenceEventType,
    OnenceOrder,
    OnenceOrderStatus,
    OnenceOrderType,
    OnenceSim,
    OnenceSms,
    OnenceSmsStatus,
    OnenceSmsType,
    OnenceUsageDay,
)
from simulators.onence.orders import build_order, first_or_additional
from simulators.onence.products import EXTENSION_PRODUCT_ID, TOPUP_PRODUCT_ID, unit_price
from simulators.onence.quota import INITIAL_DATA_BYTES, INITIAL_SMS, add_package, consume
from simulators.onence.usage import catch_up

LIFETIME = timedelta(days=3652)
_UPDATABLE = ["label", "imei_lock", "status"]
_QUOTA_FIELDS = [
    f"{service}_{field}"
    for service in ("data", "sms")
    for field in (
        "volume",
        "total_volume",
        "accumulated_volume",
        "last_added",
        "threshold_reached_at",
        "exhausted_at",
    )
]


@transaction.atomic
def update_sims(*, changes: list[tuple[OnenceSim, dict]], at: datetime, user: str) -> None:
    """Apply label / imei_lock / status changes; a status change leaves an event."""
    catch_up([sim for sim, _ in changes], at=at)
    events = []
    for sim, values in changes:
        if "status" in values and values["status"] != sim.status:
            events.append(
                _api_event(
                    sim,
                    OnenceEventType.SIM_STATUS_CHANGED,
                    at,
                    f"Status of SIM changed from '{sim.status}' to '{values['status']}'.",
                    user,
                )
            )
        for field, value in values.items():
            setattr(sim, field, value)
    OnenceSim.objects.bulk_update([sim for sim, _ in changes], _UPDATABLE)
    OnenceEvent.objects.bulk_create(events)


@transaction.atomic
def reset_connectivity(*, sim: OnenceSim, at: datetime, user: str) -> None:
    sim.reset_at = at
    sim.save(update_fields=["reset_at"])
    _api_event(sim, OnenceEventType.CONNECTIVITY_RESET, at, "Connectivity reset.", user).save()


@transaction.atomic
def top_up(
    *, account: OnenceAccount, sims: list[OnenceSim], at: datetime, payment_method: str, user: str
) -> OnenceOrder:
    """Add one top-up package to each SIM and record the order that paid for it."""
    catch_up(sims, at=at)
    events = [add_package(sim, at=at, user=user) for sim in sims]
    OnenceSim.objects.bulk_update(sims, _QUOTA_FIELDS)
    OnenceEvent.objects.bulk_create(events)
    order = build_order(
        account_id=account.pk,
        order_type=OnenceOrderType.TOPUP if len(sims) == 1 else OnenceOrderType.BULK_TOPUP,
        product_id=TOPUP_PRODUCT_ID,
        quantity=len(sims),
        at=at,
        iccids=[sim.iccid for sim in sims],
        payment_method=payment_method,
    )
    order.save()
    return order


def set_auto_topup(*, sims: list[OnenceSim], enabled: bool) -> None:
    OnenceSim.objects.filter(pk__in=[sim.pk for sim in sims]).update(auto_topup=enabled)


@transaction.atomic
def extend(
    *, account: OnenceAccount, sims: list[OnenceSim], at: datetime, payment_method: str, user: str
) -> OnenceOrder:
    """Renew the SIMs' lifetime and quotas (the one change an expired SIM accepts)."""
    catch_up(sims, at=at)
    for sim in sims:
        sim.expiry_date = max(sim.expiry_date, at) + LIFETIME
        sim.data_volume = sim.data_total_volume = INITIAL_DATA_BYTES
        sim.sms_volume = sim.sms_total_volume = INITIAL_SMS
        sim.data_accumulated_volume += INITIAL_DATA_BYTES
        sim.sms_accumulated_volume += INITIAL_SMS
        sim.data_last_added, sim.sms_last_added = INITIAL_DATA_BYTES, INITIAL_SMS
        sim.data_threshold_reached_at = sim.data_exhausted_at = None
        sim.sms_threshold_reached_at = sim.sms_exhausted_at = None
        sim.quota_created_at = at
    OnenceSim.objects.bulk_update(sims, [*_QUOTA_FIELDS, "expiry_date", "quota_created_at"])
    OnenceEvent.objects.bulk_create(
        _api_event(sim, OnenceEventType.SIM_EXTENDED, at, "SIM lifetime extended.", user)
        for sim in sims
    )
    order = build_order(
        account_id=account.pk,
        order_type=OnenceOrderType.ADDITIONAL_ORDER,
        product_id=EXTENSION_PRODUCT_ID,
        quantity=len(sims),
        at=at,
        iccids=[sim.iccid for sim in sims],
        payment_method=payment_method,
    )
    order.save()
    return order


@transaction.atomic
def send_sms(*, sim: OnenceSim, message: dict, at: datetime) -> OnenceSms:
    """Queue an MT message; it costs one SMS of quota and counts in today's MT usage."""
    catch_up([sim], at=at)
    sms = OnenceSms.objects.create(
        sim=sim,
        sms_type=OnenceSmsType.MT,
        status=OnenceSmsStatus.PENDING,
        submit_date=at,
        deliver_after=sms_logic.first_attempt(at, serial_of(sim.iccid) + int(at.timestamp())),
        expiry_date=message.get("expiry_date") or at + sms_logic.DEFAULT_VALIDITY,
        payload=message.get("payload", ""),
        udh=message.get("udh", ""),
        dcs=message.get("dcs", 0),
        source_address=message.get("source_address", ""),
        source_address_type=message.get("source_address_type", 145),
    )
    OnenceEvent.objects.bulk_create(consume(sim, data_bytes=0, sms=1, at=at))
    sim.save(update_fields=["sms_volume", "sms_threshold_reached_at", "sms_exhausted_at"])
    usage, _ = OnenceUsageDay.objects.get_or_create(sim=sim, date=at.date())
    usage.sms_mt += 1
    usage.save(update_fields=["sms_mt"])
    return sms


def cancel_sms(*, sms: OnenceSms, at: datetime) -> None:
    sms.status = OnenceSmsStatus.CANCELLED
    sms.final_date = at
    sms.save(update_fields=["status", "final_date"])


@transaction.atomic
def create_order(
    *,
    account: OnenceAccount,
    products: list[tuple[int, int]],
    delivery_address: dict,
    customer_reference: str,
    at: datetime,
) -> OnenceOrder:
    """A SIM order (``products`` as ``(product_id, quantity)``); it stays in progress."""
    order = OnenceOrder.objects.create(
        account=account,
        order_type=first_or_additional(account),
        status=OnenceOrderStatus.IN_PROGRESS,
        order_date=at,
        invoice_amount=sum(unit_price(pid) * quantity for pid, quantity in products),
        customer_reference=customer_reference,
        shipping_address=delivery_address,
        products=[{"product_id": pid, "quantity": quantity} for pid, quantity in products],
    )
    return order


def set_limits(*, account: OnenceAccount, values: dict[str, int]) -> None:
    """Set the account's self-set limits (``values`` maps account fields to limit ids)."""
    for field, limit_id in values.items():
        setattr(account, field, limit_id)
    account.save(update_fields=list(values))


def _api_event(sim, event_type, at, description, user) -> OnenceEvent:
    return OnenceEvent(
        sim=sim,
        event_type=event_type,
        timestamp=at,
        source=OnenceEventSource.API,
        user=user,
        description=description,
    )
