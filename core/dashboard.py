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
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import structlog
from django.utils.module_loading import autodiscover_modules

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


@dataclass(frozen=True, slots=True)
class Panel:
    key: str
    title: str
    group: str
    order: int
    build: Callable[[DashboardScope], PanelContent]
    superuser_only: bool = False


_panels: dict[str, Panel] = {}


def register_panel(
    key: str, *, title: str, group: str, order: int = 100, superuser_only: bool = False
):
    """Register the decorated function as the dashboard panel ``key`` (last one wins, so a
    reloaded module replaces its panel instead of adding a twin)."""

    def decorator(build: Callable[[DashboardScope], PanelContent]):
        _panels[key] = Panel(key, title, group, order, build, superuser_only)
        return build

    return decorator


def registered_panels() -> list[Panel]:
    return sorted(_panels.values(), key=lambda p: (p.group, p.order, p.key))


@dataclass(frozen=True, slots=True)
class RenderedPanel:
    panel: Panel
    content: PanelContent | None
    error: str = ""

    @property
    def dom_id(self) -> str:
        return "panel-" + self.panel.key.replace(".", "-").replace("_", "-")


def render(scope: DashboardScope) -> list[tuple[str, list[RenderedPanel]]]:
    """Every panel the viewer may see, built for ``scope`` and grouped: ``[(group, panels)]``.

    A panel that fails is drawn as an error box and logged; the others still render."""
    groups: dict[str, list[RenderedPanel]] = {}
    superuser = bool(getattr(scope.user, "is_superuser", False))
    for panel in registered_panels():
        if panel.superuser_only and not superuser:
            continue
        try:
            rendered = RenderedPanel(panel, panel.build(scope))
        except Exception:
            logger.exception("dashboard_panel_failed", panel=panel.key)
            rendered = RenderedPanel(panel, None, "This panel could not be drawn just now.")
        groups.setdefault(panel.group, []).append(rendered)
    order = {name: i for i, name in enumerate(GROUPS)}
    return sorted(groups.items(), key=lambda item: (order.get(item[0], len(order)), item[0]))


def autodiscover() -> None:
    """Import every installed app's ``dashboard`` module (called once at start-up)."""
    autodiscover_modules("dashboard")
