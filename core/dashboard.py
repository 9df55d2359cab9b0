"""The console dashboard's panel registry: each app contributes panels in its ``dashboard.py``.

A panel is a function of the viewer's scope that returns plain data (``PanelContent``): a row
of figures, a chart, a table, each entry linking to the filtered list behind it. The dashboard
renders whatever is registered, grouped and ordered, so a new domain adds its panels without
touching the dashboard. Panels read through selectors and never write.

    # outages/dashboard.py
    from core.dashboard import Chart, PanelContent, Series, Stat, register_panel

    @register_panel("outages.active", title="Active outages", group="Operations", order=10)
    def active_outages(scope) -> PanelContent:
        ...

``scope`` is a ``DashboardScope``: the viewer and the organizations they may see (``None`` for
a superuser, who sees every organization).

A panel that aggregates the whole fleet (counts over every SIM, reading, quota) is registered
with ``cached=True``: its content is then served from a short-lived cache entry per (panel,
scope) and the panel shows how old its figures are ("as of 40 s ago"). Beat refreshes the
entries every minute (``core.tasks.refresh_dashboard``: the superusers' "every organization"
and each organization with console users); a request that finds no fresh entry computes it
under a lock, so concurrent requests compute it once (the others serve the previous figures,
or wait briefly for the first). An entry is keyed by the scope (the organizations and whether
the viewer is a superuser), never shared between two organizations; a failing panel is not
cached.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import structlog
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.utils.module_loading import autodiscover_modules

from core.humanize import human_datetime, human_duration
from core.locks import HeartbeatLock

logger = structlog.get_logger(__name__)

# The order groups appear in on the dashboard (others follow, by name).
GROUPS = [
    "Fleet",
    "Usage & quotas",
    "Messages",
    "Provisioning",
    "Outages & SLA",
    "Payments",
    "Alerts",
    "Operations",
]


@dataclass(frozen=True, slots=True)
class Stat:
    label: str
    value: Any  # already human: "1.2 GB", "97 %", 42
    url: str = ""  # the filtered list behind the figure
    tone: str = ""  # "", "ok", "warning", "danger"
    hint: str = ""


@dataclass(frozen=True, slots=True)
class Series:
    label: str
    values: list  # numbers, one per chart label
    unit: str = ""  # "MB", "SMS", "min", ...
    axis: str = "y"  # "y" (left) or "y2" (right): two units on one chart


@dataclass(frozen=True, slots=True)
class Chart:
    kind: str  # "line", "bar", "doughnut"
    labels: list[str]
    series: list[Series]
    url: str = ""
    links: list[str] = field(default_factory=list)  # one per label, optional

    def config(self) -> dict:
        """What ``console.js`` hands to Chart.js (data only: no code crosses to the page)."""
        return {
            "kind": self.kind,
            "labels": [str(label) for label in self.labels],
            "series": [
                {"label": s.label, "values": list(s.values), "unit": s.unit, "axis": s.axis}
                for s in self.series
            ],
            "url": self.url,
            "links": list(self.links),
        }


@dataclass(frozen=True, slots=True)
class Table:
    columns: list[str]
    rows: list[list[Any]]
    links: list[str] = field(default_factory=list)  # one per row, optional
    empty: str = "Nothing to show."


@dataclass(frozen=True, slots=True)
class PanelContent:
    stats: list[Stat] = field(default_factory=list)
    chart: Chart | None = None
    table: Table | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class DashboardScope:
    user: Any
    organization_ids: list[int] | None  # None: every organization (a superuser)

    def filter(self, queryset, field_name: str = "organization_id"):
        """``queryset`` limited to the organizations the viewer may see."""
        if self.organization_ids is None:
            return queryset
        return queryset.filter(**{f"{field_name}__in": self.organization_ids})

    @property
    def superuser(self) -> bool:
        return bool(getattr(self.user, "is_superuser", False))

    @property
    def key(self) -> str:
        """What a cached panel is keyed by: the organizations seen, and whether the viewer is a
        superuser (a panel may link to superuser-only pages). Nothing of the user beyond that."""
        viewer = "superuser" if self.superuser else "member"
        if self.organization_ids is None:
            return f"{viewer}:all"
        return f"{viewer}:" + (
            ",".join(str(i) for i in sorted(set(self.organization_ids))) or "none"
        )


@dataclass(frozen=True, slots=True)
class Viewer:
    """The viewer a background refresh draws a scope for (no request, no user row)."""

    is_superuser: bool = False


@dataclass(frozen=True, slots=True)
class Panel:
    key: str
    title: str
    group: str
    order: int
    build: Callable[[DashboardScope], PanelContent]
    superuser_only: bool = False
    cache_seconds: int = 0  # 0: built for every request; else served from the cache

    def visible_to(self, scope: DashboardScope) -> bool:
        return scope.superuser or not self.superuser_only


_panels: dict[str, Panel] = {}


def register_panel(
    key: str,
    *,
    title: str,
    group: str,
    order: int = 100,
    superuser_only: bool = False,
    cached: bool = False,
):
    """Register the decorated function as the dashboard panel ``key`` (last one wins, so a
    reloaded module replaces its panel instead of adding a twin). ``cached``: a fleet-wide
    aggregate, served from the cache for ``FLEET_AGGREGATE_SECONDS`` (refreshed by beat)."""

    def decorator(build: Callable[[DashboardScope], PanelContent]):
        seconds = FLEET_AGGREGATE_SECONDS if cached else 0
        _panels[key] = Panel(key, title, group, order, build, superuser_only, seconds)
        return build

    return decorator


def registered_panels() -> list[Panel]:
    return sorted(_panels.values(), key=lambda p: (p.group, p.order, p.key))


@dataclass(frozen=True, slots=True)
class RenderedPanel:
    panel: Panel
    content: PanelContent | None
    error: str = ""
    computed_at: datetime | None = None  # when cached figures were computed; None: live

    @property
    def dom_id(self) -> str:
        return "panel-" + self.panel.key.replace(".", "-").replace("_", "-")

    @property
    def age(self) -> str:
        """How old the figures are, for the panel: "as of 40 s ago" ("" when live)."""
        if self.computed_at is None:
            return ""
        seconds = max(0, round(clock() - self.computed_at.timestamp()))
        return f"as of {seconds} s ago" if seconds < 60 else f"as of {human_duration(seconds)} ago"

    @property
    def computed(self) -> str:
        return human_datetime(self.computed_at) if self.computed_at else ""


# --- Cached panels -------------------------------------------------------------------------

CACHE_PREFIX = "dashboard:panel"
# What a fleet-wide aggregate panel registers with: beat refreshes it every 60 s, so a
# request finds it fresh; only without beat does a request compute it (once per 90 s).
FLEET_AGGREGATE_SECONDS = 90
# An entry outlives its freshness so that, while one request recomputes it, the others serve
# the previous figures instead of computing them too.
KEEP_STALE_FACTOR = 5
LOCK_SECONDS = 30  # the computing lock's heartbeat TTL (a crashed holder frees it by then)
WAIT_SECONDS = 10  # how long a request without figures waits for another's computation
WAIT_STEP = 0.05


def clock() -> float:
    """Now, in seconds since the epoch (what an entry's age is measured with)."""
    return time.time()


def cache_key(panel: Panel, scope: DashboardScope) -> str:
    return f"{CACHE_PREFIX}:{panel.key}:{scope.key}"


def _fresh(entry, panel: Panel) -> bool:
    return entry is not None and clock() - entry[0] < panel.cache_seconds


def _compute(panel: Panel, scope: DashboardScope) -> tuple[float, PanelContent]:
    """Build the panel and store it (raises what the panel raises; nothing is stored then)."""
    content = panel.build(scope)
    entry = (clock(), content)
    cache.set(cache_key(panel, scope), entry, timeout=panel.cache_seconds * KEEP_STALE_FACTOR)
    return entry


def cached_content(panel: Panel, scope: DashboardScope) -> tuple[float, PanelContent]:
    """``(computed at, content)`` of a cached panel: the fresh entry, else computed under the
    (panel, scope) lock. Without the lock: the previous entry if any, else the other
    computation's result once stored (or our own, if it does not come in time)."""
    key = cache_key(panel, scope)
    try:
        entry = cache.get(key)
    except Exception:  # the cache is down: the figures are computed for this request
        logger.warning("dashboard_cache_unavailable", panel=panel.key, exc_info=True)
        return clock(), panel.build(scope)
    if _fresh(entry, panel):
        return entry
    lock = HeartbeatLock(f"{key}:lock", ttl=LOCK_SECONDS)
    if lock.acquire():
        try:
            return _compute(panel, scope)
        finally:
            lock.release()
    if entry is not None:
        return entry
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        time.sleep(WAIT_STEP)
        entry = cache.get(key)
        if entry is not None:
            return entry
    return _compute(panel, scope)


def refresh(scope: DashboardScope) -> dict[str, int]:
    """Compute every cached panel ``scope`` may see now and store it (the beat task's work):
    ``{"refreshed": n, "failed": n, "busy": n}``; a panel another process is computing is
    left to it."""
    counts = {"refreshed": 0, "failed": 0, "busy": 0}
    for panel in registered_panels():
        if not panel.cache_seconds or not panel.visible_to(scope):
            continue
        lock = HeartbeatLock(f"{cache_key(panel, scope)}:lock", ttl=LOCK_SECONDS)
        if not lock.acquire():
            counts["busy"] += 1
            continue
        try:
            _compute(panel, scope)
            counts["refreshed"] += 1
        except Exception:
            logger.exception("dashboard_panel_failed", panel=panel.key, scope=scope.key)
            counts["failed"] += 1
        finally:
            lock.release()
    return counts


def background_scopes() -> list[DashboardScope]:
    """The scopes beat keeps warm: every organization (if there is a superuser to look) and
    each active organization that has a console user (a staff member), as its members see it."""
    staff = get_user_model().objects.filter(is_active=True, is_staff=True)
    scopes = []
    if staff.filter(is_superuser=True).exists():
        scopes.append(DashboardScope(Viewer(is_superuser=True), None))
    organizations = (
        staff.filter(is_superuser=False, organization__is_active=True)
        .order_by("organization_id")
        .values_list("organization_id", flat=True)
        .distinct()
    )
    scopes += [DashboardScope(Viewer(), [organization]) for organization in organizations]
    return scopes


def refresh_all() -> dict[str, int]:
    """Refresh the cached panels of every background scope (beat's work, every minute)."""
    totals = {"scopes": 0, "refreshed": 0, "failed": 0, "busy": 0}
    for scope in background_scopes():
        totals["scopes"] += 1
        for name, count in refresh(scope).items():
            totals[name] += count
    return totals


def render_panel(panel: Panel, scope: DashboardScope) -> RenderedPanel:
    """One panel for ``scope``: built now, or from the cache when it is a cached panel; a
    failure is drawn as an error box and logged."""
    try:
        if not panel.cache_seconds:
            return RenderedPanel(panel, panel.build(scope))
        computed_at, content = cached_content(panel, scope)
        return RenderedPanel(
            panel, content, computed_at=datetime.fromtimestamp(computed_at, tz=UTC)
        )
    except Exception:
        logger.exception("dashboard_panel_failed", panel=panel.key)
        return RenderedPanel(panel, None, "This panel could not be drawn just now.")


def render(scope: DashboardScope) -> list[tuple[str, list[RenderedPanel]]]:
    """Every panel the viewer may see, built for ``scope`` and grouped: ``[(group, panels)]``.

    A panel that fails is drawn as an error box and logged; the others still render."""
    groups: dict[str, list[RenderedPanel]] = {}
    for panel in registered_panels():
        if panel.visible_to(scope):
            groups.setdefault(panel.group, []).append(render_panel(panel, scope))
    order = {name: i for i, name in enumerate(GROUPS)}
    return sorted(groups.items(), key=lambda item: (order.get(item[0], len(order)), item[0]))


def autodiscover() -> None:
    """Import every installed app's ``dashboard`` module (called once at start-up)."""
    autodiscover_modules("dashboard")
