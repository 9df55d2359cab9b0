"""Usage against the SIM's limits: ``limit_approached`` once a day's or a month's use reaches
the alert threshold of a daily or monthly limit (seed 000 US-024, "alerts when limits
approached"). Published as the ``limit.approached`` domain event for alert rules and webhooks.

Each limit warns once per period (the day, the month): a later sync of the same period that is
still over the threshold adds nothing.
"""

from collections.abc import Iterable
from datetime import date

from django.db.models import F, Sum
from django.utils import timezone

from sims.events import record_event
from sims.models import EventType, Sim, SimEvent
from sims.selectors import effective_limits
from usage.models import SimMonthlyUsage, UsageRecord

# (limit field, its period, what it measures)
LIMITS = (
    ("daily_data_limit", "day", "data_bytes"),
    ("monthly_data_limit", "month", "data_bytes"),
    ("daily_sms_limit", "day", "sms"),
    ("monthly_sms_limit", "month", "sms"),
)


def check_limits(*, sim: Sim, dates: Iterable[date], today: date | None = None) -> list[SimEvent]:
    """Warn for each of the SIM's limits the current day's or month's use has approached, when
    ``dates`` (the days a sync changed) touch the current period. Call inside the sync's
    transaction, after the month totals are refreshed; returns the events recorded."""
    today = today or timezone.localdate()
    month = today.replace(day=1)
    touched = set(dates)
    if not any(day == today or day.replace(day=1) == month for day in touched):
        return []
    limits = effective_limits(sim=sim)
    used = {"day": _day_use(sim, today), "month": _month_use(sim, month)}
    periods = {"day": today.isoformat(), "month": month.strftime("%Y-%m")}
    events = []
    for name, period, measure in LIMITS:
        limit = getattr(limits, name)
        value = used[period][measure]
        # No limit, or a limit of nothing (0): there is nothing to approach.
        if not limit or value * 100 < limit * limits.threshold_percent:
            continue
        if _warned(sim, name, periods[period]):
            continue
        events.append(
            record_event(
                sim=sim,
                event_type=EventType.LIMIT_APPROACHED,
                description=f"{name.replace('_', ' ').capitalize()} approached: "
                f"{value * 100 // limit}% used.",
                details={
                    "limit": name,
                    "period": periods[period],
                    "used": value,
                    "value": limit,
                    "percent_used": round(value * 100 / limit, 1),
                    "threshold_percent": limits.threshold_percent,
                },
            )
        )
    return events


def _day_use(sim: Sim, day: date) -> dict:
    totals = UsageRecord.objects.filter(sim=sim, date=day).aggregate(
        data_bytes=Sum(F("data_rx_bytes") + F("data_tx_bytes")), sms=Sum(F("sms_mo") + F("sms_mt"))
    )
    return {key: value or 0 for key, value in totals.items()}


def _month_use(sim: Sim, month: date) -> dict:
    row = SimMonthlyUsage.objects.filter(sim=sim, month=month).values("data_bytes", "sms").first()
    return row or {"data_bytes": 0, "sms": 0}


def _warned(sim: Sim, limit: str, period: str) -> bool:
    return SimEvent.objects.filter(
        sim=sim,
        event_type=EventType.LIMIT_APPROACHED,
        details__limit=limit,
        details__period=period,
    ).exists()
