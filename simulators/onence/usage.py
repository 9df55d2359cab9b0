"""Daily usage that grows with time, and the quota consumption it causes.

A SIM's usage for a day is a deterministic function of its profile and the date, so the
seeded history and the usage accounted later agree. Today's usage is the share of the day
that has passed: ``catch_up`` adds what accrued since the SIM's ``usage_until`` whenever the
SIM is read, so nothing runs in the background.
"""

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

from django.db import transaction

from simulators.onence import clock
from simulators.onence.formats import quantize
from simulators.onence.identifiers import mix64
from simulators.onence.models import (
    OnenceEvent,
    OnenceOrder,
    OnenceOrderType,
    OnenceSim,
    OnenceSimStatus,
    OnenceSms,
    OnenceSmsStatus,
    OnenceSmsType,
    OnenceUsageDay,
)
from simulators.onence.orders import build_order
from simulators.onence.products import TOPUP_PRODUCT_ID
from simulators.onence.quota import add_package, consume, is_expired

# Below this the usage a read would add is not worth a write.
MIN_CATCH_UP_SECONDS = 60
# MO messages are materialised only for recent days, so a long idle gap stays cheap.
MO_MESSAGE_DAYS = 3

_SIM_FIELDS = [
    "usage_until",
    "data_volume",
    "data_total_volume",
    "data_accumulated_volume",
    "data_last_added",
    "data_threshold_reached_at",
    "data_exhausted_at",
    "sms_volume",
    "sms_total_volume",
    "sms_accumulated_volume",
    "sms_last_added",
    "sms_threshold_reached_at",
    "sms_exhausted_at",
]


def full_day(usage_seed: int, daily_data_bytes: int, daily_sms: float, ordinal: int) -> tuple:
    """``(rx, tx, mo, mt)`` a SIM with this profile uses over the whole day ``ordinal``."""
    h = mix64(usage_seed * 1_000_003 + ordinal)
    u1, u2 = (h & 0xFFFF) / 65536, ((h >> 16) & 0xFFFF) / 65536
    u3, u4 = ((h >> 32) & 0xFFFF) / 65536, (h >> 48) / 65536
    weekend = 0.6 if (ordinal + 6) % 7 >= 5 else 1.0
    data = quantize(daily_data_bytes * (0.25 + 1.5 * u1) * weekend)
    rx = quantize(data * (0.35 + 0.3 * u2))
    mo = int(daily_sms * (0.5 + u3) + u4)
    mt = 1 if u4 < daily_sms / 4 else 0
    return rx, data - rx, mo, mt


def portion(full: tuple, f0: float, f1: float) -> tuple:
    """The share of a day's ``(rx, tx, mo, mt)`` between day fractions ``f0`` and ``f1``; data
    in whole blocks, so the shares of one day always add up to the whole day."""
    rx, tx, mo, mt = full
    return (
        quantize(rx * f1) - quantize(rx * f0),
        quantize(tx * f1) - quantize(tx * f0),
        int(mo * f1) - int(mo * f0),
        int(mt * f1) - int(mt * f0),
    )


def day_start(value: date) -> datetime:
    return datetime.combine(value, time.min, tzinfo=UTC)


def day_fraction(moment: datetime) -> float:
    seconds = (moment - day_start(moment.date())).total_seconds()
    return min(seconds / 86400, 1.0)


def catch_up(sims: list[OnenceSim], *, at: datetime | None = None) -> None:
    """Account the usage of ``sims`` up to ``at`` (default: now) and save it.

    The SIMs are re-read under a row lock, so two requests never account the same interval
    twice; the caller's instances get the fresh values.
    """
    at = at or clock.now()
    stale_ids = [
        sim.pk for sim in sims if (at - sim.usage_until).total_seconds() >= MIN_CATCH_UP_SECONDS
    ]
    if not stale_ids:
        return
    with transaction.atomic():
        locked = list(OnenceSim.objects.select_for_update().filter(pk__in=stale_ids))
        accrual = _Accrual(at)
        for sim in locked:
            if (at - sim.usage_until).total_seconds() >= MIN_CATCH_UP_SECONDS:
                accrual.add(sim)
        accrual.save()
    fresh = {sim.pk: sim for sim in locked}
    for sim in sims:
        if sim.pk in fresh:
            for field in _SIM_FIELDS:
                setattr(sim, field, getattr(fresh[sim.pk], field))


class _Accrual:
    """Collects the rows one catch-up writes, then writes them in a few bulk queries."""

    def __init__(self, at: datetime):
        self.at = at
        self.usage = defaultdict(lambda: [0, 0, 0, 0])
        self.sims: list[OnenceSim] = []
        self.events: list[OnenceEvent] = []
        self.messages: list[OnenceSms] = []
        self.orders: list[OnenceOrder] = []

    def add(self, sim: OnenceSim) -> None:
        start, at = sim.usage_until, self.at
        active = sim.status == OnenceSimStatus.ENABLED and not is_expired(sim, at)
        current = start.date()
        while active and current <= at.date():
            begin = max(start, day_start(current))
            end = min(at, day_start(current + timedelta(days=1)))
            f0 = day_fraction(begin) if begin.date() == current else 0.0
            f1 = day_fraction(end) if end.date() == current else 1.0
            self._add_day(sim, current, f0, f1, end)
            current += timedelta(days=1)
        sim.usage_until = at
        self.sims.append(sim)

    def _add_day(self, sim: OnenceSim, day: date, f0: float, f1: float, end: datetime) -> None:
        full = full_day(sim.usage_seed, sim.daily_data_bytes, sim.daily_sms, day.toordinal())
        rx, tx, mo, mt = portion(full, f0, f1)
        if sim.data_volume <= 0:
            rx = tx = 0
        if sim.sms_volume <= 0:
            mo = mt = 0
        if not (rx or tx or mo or mt):
            return
        row = self.usage[(sim.pk, day)]
        for index, value in enumerate((rx, tx, mo, mt)):
            row[index] += value
        was_above = sim.data_threshold_reached_at is None
        self.events += consume(sim, data_bytes=rx + tx, sms=mo + mt, at=end)
        if sim.auto_topup and was_above and sim.data_threshold_reached_at is not None:
            self.events.append(add_package(sim, at=end, user="auto top-up"))
            order = build_order(
                account_id=sim.account_id,
                order_type=OnenceOrderType.TOPUP,
                product_id=TOPUP_PRODUCT_ID,
                quantity=1,
                at=end,
                iccids=[sim.iccid],
            )
            self.orders.append(order)
        if mo and (self.at.date() - day).days < MO_MESSAGE_DAYS:
            self.messages += [_mo_message(sim, end, index) for index in range(mo)]

    def save(self) -> None:
        keys = list(self.usage)
        existing = {
            (row.sim_id, row.date): row
            for row in OnenceUsageDay.objects.filter(
                sim_id__in={sim_id for sim_id, _ in keys}, date__in={day for _, day in keys}
            )
        }
        created, updated = [], []
        for key, (rx, tx, mo, mt) in self.usage.items():
            row = existing.get(key)
            if row is None:
                created.append(
                    OnenceUsageDay(
                        sim_id=key[0], date=key[1], data_rx=rx, data_tx=tx, sms_mo=mo, sms_mt=mt
                    )
                )
                continue
            row.data_rx += rx
            row.data_tx += tx
            row.sms_mo += mo
            row.sms_mt += mt
            updated.append(row)
        OnenceUsageDay.objects.bulk_create(created)
        OnenceUsageDay.objects.bulk_update(updated, ["data_rx", "data_tx", "sms_mo", "sms_mt"])
        OnenceSim.objects.bulk_update(self.sims, _SIM_FIELDS)
        OnenceEvent.objects.bulk_create(self.events)
        OnenceSms.objects.bulk_create(self.messages)
        OnenceOrder.objects.bulk_create(self.orders)


def _mo_message(sim: OnenceSim, at: datetime, index: int) -> OnenceSms:
    reading = mix64(sim.usage_seed + at.toordinal() + index) % 1000
    return OnenceSms(
        sim=sim,
        sms_type=OnenceSmsType.MO,
        status=OnenceSmsStatus.DELIVERED,
        submit_date=at,
        deliver_after=at,
        delivery_date=at,
        final_date=at,
        last_delivery_attempt=at,
        expiry_date=at + timedelta(days=1),
        payload=f"STATUS OK reading={reading}",
        source_address=sim.msisdn,
        source_address_type=145,
    )
