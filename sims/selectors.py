"""SIM reads shared by services, views, tasks and other apps (writes live in ``services``)."""

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone

from accounts.models import Organization
from core.errors import NotFound
from core.identifiers import normalize_iccid
from core.tenancy import scope_to_organization
from sims.accounts import ONENCE_ACCOUNTS
from sims.models import (
    ConnectivityReset,
    ConnectivitySnapshot,
    LimitSet,
    Order,
    OrderStatus,
    Sim,
    SimEvent,
)


def connected_organizations() -> QuerySet[Organization]:
    """Active organizations with a 1NCE account connected (their own, or the default one they
    own): the only ones whose SIMs are synced and read from 1NCE."""
    return Organization.objects.filter(is_active=True).filter(ONENCE_ACCOUNTS.connected())


def connected_sims(sims: QuerySet[Sim] | None = None) -> QuerySet[Sim]:
    """``sims`` (all SIMs by default) of organizations with a 1NCE account connected."""
    sims = Sim.objects.all() if sims is None else sims
    return sims.filter(organization__is_active=True).filter(
        ONENCE_ACCOUNTS.connected(field="organization")
    )


def sim_for_user(iccid: str, *, user) -> Sim:
    """The SIM ``iccid`` names, if ``user``'s organization may see it.

    Validates the ICCID first (``InvalidIccid``, 400), then looks only inside the user's
    organization (all of them for a superuser), so a foreign SIM is ``NotFound`` (404), never
    403. For views nested under ``/sims/{iccid}/`` in other apps
    (``core.viewsets.ParentLookupMixin``).
    """
    sims = scope_to_organization(Sim.objects.select_related("organization"), user)
    sim = sims.filter(iccid=normalize_iccid(iccid)).first()
    if sim is None:
        raise NotFound("Not found.")
    return sim


def latest_reset(*, sim: Sim) -> ConnectivityReset:
    """The SIM's latest connectivity reset; ``NotFound`` when it never had one."""
    reset = ConnectivityReset.objects.filter(sim=sim).first()
    if reset is None:
        raise NotFound("Not found.")
    return reset


def sim_events(*, sim: Sim) -> QuerySet[SimEvent]:
    """The SIM's events (1NCE's and ours), newest first."""
    return SimEvent.objects.filter(sim=sim).order_by("-occurred_at", "-id")


# --- Limits --------------------------------------------------------------------------------

LIMIT_FIELDS = (
    "daily_data_limit",
    "monthly_data_limit",
    "daily_sms_limit",
    "monthly_sms_limit",
    "enforce_limits",
    "sms_allowed_destinations",
    "sms_blocked_destinations",
    "alert_threshold_percent",
)


@dataclass(frozen=True)
class EffectiveLimits:
    """A SIM's limits after inheritance: the SIM's own set, else its organization's.

    What each field means, and when a SIM's value gives way to the organization's:

    - ``daily_/monthly_data_limit``, ``daily_/monthly_sms_limit`` (bytes, SMS): None is "no
      limit here" and inherits; 0 is a limit of nothing and is kept.
    - ``enforce_limits``: None inherits; False is kept.
    - ``sms_allowed_destinations`` (MSISDN prefixes): an empty list inherits; empty at both
      levels allows every destination.
    - ``sms_blocked_destinations``: both lists together: a block is never inherited away.
    - ``alert_threshold_percent``: None or 0 inherits; :attr:`threshold_percent` adds the
      last fallback, ``settings.QUOTA_THRESHOLD_PERCENT``.
    """

    daily_data_limit: int | None = None
    monthly_data_limit: int | None = None
    daily_sms_limit: int | None = None
    monthly_sms_limit: int | None = None
    enforce_limits: bool | None = None
    sms_allowed_destinations: list[str] = field(default_factory=list)
    sms_blocked_destinations: list[str] = field(default_factory=list)
    alert_threshold_percent: int | None = None

    @classmethod
    def inherit(cls, own: LimitSet | None, base: LimitSet | None) -> "EffectiveLimits":
        def value(name, inherits):
            mine = getattr(own, name, None)
            return getattr(base, name, None) if inherits(mine) else mine

        blocked = [
            *(getattr(own, "sms_blocked_destinations", None) or []),
            *(getattr(base, "sms_blocked_destinations", None) or []),
        ]
        return cls(
            daily_data_limit=value("daily_data_limit", _unset),
            monthly_data_limit=value("monthly_data_limit", _unset),
            daily_sms_limit=value("daily_sms_limit", _unset),
            monthly_sms_limit=value("monthly_sms_limit", _unset),
            enforce_limits=value("enforce_limits", _unset),
            sms_allowed_destinations=list(value("sms_allowed_destinations", _empty) or []),
            sms_blocked_destinations=list(dict.fromkeys(blocked)),
            alert_threshold_percent=value("alert_threshold_percent", _empty) or None,
        )

    @property
    def threshold_percent(self) -> int:
        """Percent of a quota used at which an alert is due (the settings' default last)."""
        return self.alert_threshold_percent or settings.QUOTA_THRESHOLD_PERCENT

    def refuses_destination(self, destination: str) -> str | None:
        """Why an SMS to ``destination`` may not be sent ("blocked", "not_allowed"), or None."""
        number = (destination or "").lstrip("+")

        def matches(prefixes):
            return any(number.startswith(str(p).lstrip("+")) for p in prefixes if p)

        if matches(self.sms_blocked_destinations):
            return "blocked"
        if self.sms_allowed_destinations and not matches(self.sms_allowed_destinations):
            return "not_allowed"
        return None

    def as_dict(self) -> dict:
        return asdict(self)


def _unset(value) -> bool:
    return value is None


def _empty(value) -> bool:
    return not value


def effective_limits_for(sims: Iterable[Sim]) -> dict[int, EffectiveLimits]:
    """Each SIM's :class:`EffectiveLimits` by SIM id, in one query however many SIMs."""
    sims = list(sims)
    if not sims:
        return {}
    rows = LimitSet.objects.filter(
        Q(sim__in=[s.pk for s in sims])
        | Q(sim__isnull=True, organization_id__in={s.organization_id for s in sims})
    )
    own, base = {}, {}
    for row in rows:
        if row.sim_id is None:
            base[row.organization_id] = row
        else:
            own[row.sim_id] = row
    return {s.pk: EffectiveLimits.inherit(own.get(s.pk), base.get(s.organization_id)) for s in sims}


def effective_limits(*, sim: Sim) -> EffectiveLimits:
    """The SIM's limits after inheritance (see :class:`EffectiveLimits`)."""
    return effective_limits_for([sim])[sim.pk]


def sim_limits(*, sim: Sim) -> LimitSet | None:
    """The SIM's own overrides, None when it has none."""
    return LimitSet.objects.filter(sim=sim).first()


# --- Console reads (dashboard panels, the SIM page, list columns) ---------------------------

# A SIM not seen connected for this long is listed as "not seen for a day".
NOT_SEEN_AFTER = timedelta(days=1)


def latest_snapshot(sim_field: str = "pk"):
    """The newest connectivity snapshot of the SIM ``OuterRef(sim_field)`` names (a subquery)."""
    return ConnectivitySnapshot.objects.filter(sim_id=OuterRef(sim_field)).order_by(
        "-taken_at", "-id"
    )


def with_last_seen(sims: QuerySet[Sim]) -> QuerySet[Sim]:
    """``sims`` with ``last_seen_at`` (the newest connected reading) and ``online`` (whether the
    newest reading was connected; None without one). For a page of SIMs: two index probes
    per row on (sim, -taken_at)."""
    return sims.annotate(
        last_seen_at=Subquery(latest_snapshot().filter(connected=True).values("taken_at")[:1]),
        online=Subquery(latest_snapshot().values("connected")[:1]),
    )


def seen_since(moment) -> QuerySet:
    """Snapshots (by SIM) that show a SIM connected at or after ``moment``."""
    return ConnectivitySnapshot.objects.filter(
        sim_id=OuterRef("pk"), connected=True, taken_at__gte=moment
    )


def status_counts(sims: QuerySet[Sim]) -> dict[str, int]:
    """SIMs per status (one query)."""
    rows = sims.order_by().values("status").annotate(n=Count("id"))
    return {row["status"]: row["n"] for row in rows}


def connectivity_counts(sims: QuerySet[Sim], *, now=None) -> dict[str, int]:
    """``online``/``offline``/``unknown`` SIMs by their newest reading, and ``not_seen`` (no
    connected reading within ``NOT_SEEN_AFTER``): three queries, none per SIM.

    On PostgreSQL the newest reading per SIM is one walk of the (sim, -taken_at, -id) index
    that carries ``connected`` (``DISTINCT ON``, counted over that subquery: no sort, no row
    lookups); elsewhere a correlated subquery per SIM gives the same answer."""
    now = now or timezone.now()
    total = sims.count()
    readings = ConnectivitySnapshot.objects.filter(sim_id__in=sims.values("pk"))
    if connection.vendor == "postgresql":
        newest = readings.order_by("sim_id", "-taken_at", "-id").distinct("sim_id")
        # The ORM cannot aggregate over DISTINCT ON: its SQL is counted as a subquery.
        sql, params = newest.values("connected").query.sql_with_params()
        counts = "count(*) FILTER (WHERE connected), count(*) FILTER (WHERE NOT connected)"
        counted = f"SELECT {counts} FROM ({sql}) newest"  # noqa: S608 - the ORM's own SQL
        with connection.cursor() as cursor:
            cursor.execute(counted, params)
            online, offline = cursor.fetchone()
        latest = {"online": online, "offline": offline}
    else:
        latest = (
            sims.order_by()
            .annotate(connected_now=Subquery(latest_snapshot().values("connected")[:1]))
            .aggregate(
                online=Count("id", filter=Q(connected_now=True)),
                offline=Count("id", filter=Q(connected_now=False)),
            )
        )
    seen = (
        readings.filter(connected=True, taken_at__gte=now - NOT_SEEN_AFTER)
        .order_by()
        .values("sim_id")
        .distinct()
        .count()
    )
    return {
        "online": latest["online"],
        "offline": latest["offline"],
        "unknown": total - latest["online"] - latest["offline"],
        "not_seen": total - seen,
    }


def order_spend(orders: QuerySet[Order], *, since) -> list[tuple[str, Decimal]]:
    """What orders placed with 1NCE since ``since`` cost, per currency (one query)."""
    rows = (
        orders.filter(created_at__gte=since, status=OrderStatus.PLACED)
        .exclude(total_amount=None)
        .order_by("currency")
        .values("currency")
        .annotate(total=Sum("total_amount"))
    )
    return [(row["currency"] or "", row["total"]) for row in rows]
