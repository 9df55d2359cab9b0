"""Fleet seeding: SIMs with identities, usage profiles, history, quotas and events, in bulk.

The history is the same deterministic function ``usage.catch_up`` uses afterwards, so a seeded
SIM continues exactly where its history stops. Rows are written in chunks with bulk inserts;
10,000 SIMs with 90 days (about 900,000 usage rows) take well under a minute.
"""

import math
import random
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from django.db import connection, transaction

from simulators.onence import clock
from simulators.onence.identifiers import identity, serial_of
from simulators.onence.models import (
    OnenceAccount,
    OnenceEvent,
    OnenceEventSource,
    OnenceEventType,
    OnenceSim,
    OnenceSimStatus,
    OnenceUsageDay,
)
from simulators.onence.quota import INITIAL_DATA_BYTES, INITIAL_SMS, consume
from simulators.onence.usage import day_fraction, day_start, full_day, portion

CHUNK_SIZE = 2000
_LABEL_KINDS = ["TRACKER", "METER", "GATEWAY", "SENSOR", "POS", "CHARGER"]
_LOG_MIN_DAILY, _LOG_MAX_DAILY = math.log(20_000), math.log(8_000_000)


def seed_fleet(
    *,
    account: OnenceAccount,
    sims: int,
    days: int,
    seed: int = 0,
    flaky_share: float = 0.0,
    disabled_share: float = 0.0,
    expired_share: float = 0.0,
    progress: Callable[[int], None] | None = None,
) -> list[str]:
    """Create ``sims`` SIMs for ``account`` with ``days`` of history; return their ICCIDs."""
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not secrets
    now = clock.now()
    first = _next_serial()
    iccids = []
    for offset in range(0, sims, CHUNK_SIZE):
        count = min(CHUNK_SIZE, sims - offset)
        shares = (flaky_share, disabled_share, expired_share)
        chunk = _Chunk(account, rng, now, days, shares)
        for serial in range(first + offset, first + offset + count):
            chunk.add(serial)
        chunk.save()
        iccids += [sim.iccid for sim in chunk.sims]
        if progress:
            progress(count)
    return iccids


def _next_serial() -> int:
    last = OnenceSim.objects.order_by("-iccid").values_list("iccid", flat=True).first()
    return serial_of(last) + 1 if last else 1


class _Chunk:
    def __init__(self, account, rng: random.Random, now: datetime, days: int, shares: tuple):
        self.account, self.rng, self.now, self.days = account, rng, now, days
        self.flaky_share, self.disabled_share, self.expired_share = shares
        self.sims: list[OnenceSim] = []
        self.history: list[list[tuple]] = []
        self.events: list[OnenceEvent] = []

    def add(self, serial: int) -> None:
        rng, now = self.rng, self.now
        activated = now - timedelta(
            days=self.days + rng.randint(1, 400), seconds=rng.randint(0, 86399)
        )
        expires = activated + timedelta(days=3652)
        if rng.random() < self.expired_share:
            expires = now - timedelta(days=rng.randint(1, max(self.days, 1)))
        kind = rng.choice(_LABEL_KINDS)
        sim = OnenceSim(
            account=self.account,
            **identity(serial),
            imei_lock=rng.random() < 0.3,
            status=OnenceSimStatus.ENABLED,
            label="" if rng.random() < 0.1 else f"{kind}-{serial:06d}",
            activation_date=activated,
            expiry_date=expires,
            data_volume=INITIAL_DATA_BYTES,
            data_total_volume=INITIAL_DATA_BYTES,
            data_accumulated_volume=INITIAL_DATA_BYTES,
            sms_volume=INITIAL_SMS,
            sms_total_volume=INITIAL_SMS,
            sms_accumulated_volume=INITIAL_SMS,
            quota_created_at=activated,
            usage_seed=rng.getrandbits(40),
            daily_data_bytes=int(math.exp(rng.uniform(_LOG_MIN_DAILY, _LOG_MAX_DAILY))),
            daily_sms=round(rng.choice([0.05, 0.1, 0.3, 0.5, 1.0, 2.0]), 2),
            usage_until=now,
            flaky=rng.random() < self.flaky_share,
            events_until=now - timedelta(days=1),
        )
        disabled_at = None
        if rng.random() < self.disabled_share:
            disabled_at = now - timedelta(days=rng.randint(0, self.days), hours=rng.randint(1, 23))
        self.events.append(
            OnenceEvent(
                sim=sim,
                event_type=OnenceEventType.SIM_ACTIVATED,
                timestamp=activated,
                source=OnenceEventSource.API,
                description="SIM activated.",
            )
        )
        self.history.append(self._history(sim, disabled_at))
        if disabled_at:
            sim.status = OnenceSimStatus.DISABLED
            self.events.append(
                OnenceEvent(
                    sim=sim,
                    event_type=OnenceEventType.SIM_STATUS_CHANGED,
                    timestamp=disabled_at,
                    source=OnenceEventSource.API,
                    user=self.account.client_id,
                    description="Status of SIM changed from 'Enabled' to 'Disabled'.",
                )
            )
        self.sims.append(sim)

    def _history(self, sim: OnenceSim, disabled_at: datetime | None) -> list[tuple]:
        """The SIM's daily usage rows; consumes its quotas and collects threshold events."""
        rows = []
        stop = min(self.now, sim.expiry_date, disabled_at or self.now)
        today = self.now.date()
        for back in range(self.days, -1, -1):
            day = today - timedelta(days=back)
            end = min(stop, day_start(day + timedelta(days=1)))
            if end <= day_start(day):
                break
            fraction = day_fraction(end) if end.date() == day else 1.0
            full = full_day(sim.usage_seed, sim.daily_data_bytes, sim.daily_sms, day.toordinal())
            rx, tx, mo, mt = portion(full, 0.0, fraction)
            if sim.data_volume <= 0:
                rx = tx = 0
            if sim.sms_volume <= 0:
                mo = mt = 0
            if rx or tx or mo or mt:
                rows.append((day, rx, tx, mo, mt))
                self.events += consume(sim, data_bytes=rx + tx, sms=mo + mt, at=end)
        return rows

    @transaction.atomic
    def save(self) -> None:
        OnenceSim.objects.bulk_create(self.sims, batch_size=CHUNK_SIZE)
        insert_usage_rows(
            (sim.pk, *row)
            for sim, rows in zip(self.sims, self.history, strict=True)
            for row in rows
        )
        OnenceEvent.objects.bulk_create(self.events, batch_size=10_000)


def insert_usage_rows(rows: Iterable[tuple]) -> None:
    """Insert ``(sim_id, date, rx, tx, mo, mt)`` rows fast: COPY on PostgreSQL, else executemany.

    The ORM's bulk_create spends most of its time building model instances and SQL for
    hundreds of thousands of rows; this path writes the same rows several times faster.
    """
    table = connection.ops.quote_name(OnenceUsageDay._meta.db_table)
    columns = "sim_id, date, data_rx, data_tx, sms_mo, sms_mt"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        cursor.executemany(
            f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s, %s, %s)",  # noqa: S608
            [(sim_id, day.isoformat(), *values) for sim_id, day, *values in rows],
        )
