"""SIM reads shared by services, tasks and other apps."""

from datetime import timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import Organization
from core.identifiers import normalize_iccid
from core.viewsets import scope_to_organization
from sims.models import ConnectivitySnapshot, Order, OrderStatus, Sim
from sims.services.clients import ONENCE_ACCOUNTS


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

    Validates the ICCID first (400 ``INVALID_ICCID``), then looks only inside the user's
    organization (all of them for a superuser), so a foreign SIM answers 404, never 403.
    For views nested under ``/sims/{iccid}/`` in other apps (``core.viewsets.ParentLookupMixin``).
    """
    sims = scope_to_organization(Sim.objects.select_related("organization"), user)
    return get_object_or_404(sims, iccid=normalize_iccid(iccid))


# --- console reads (dashboard panels, the SIM page, list columns) ---------------------------

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

    On PostgreSQL the newest reading per SIM is one walk of the (sim, -taken_at) index
    (``DISTINCT ON``); elsewhere a correlated subquery per SIM gives the same answer."""
    now = now or timezone.now()
    total = sims.count()
    readings = ConnectivitySnapshot.objects.filter(sim_id__in=sims.values("pk"))
    if connection.vendor == "postgresql":
        newest = readings.order_by("sim_id", "-taken_at", "-id").distinct("sim_id")
        latest = ConnectivitySnapshot.objects.filter(pk__in=newest.values("pk")).aggregate(
            online=Count("id", filter=Q(connected=True)),
            offline=Count("id", filter=Q(connected=False)),
        )
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
