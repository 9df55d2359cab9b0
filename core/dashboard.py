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

from django.utils.module_loading import autodiscover_modules


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


@dataclass(frozen=True, slots=True)
class Chart:
    kind: str  # "line", "bar", "doughnut"
    labels: list[str]
    series: list[Series]
    url: str = ""
    links: list[str] = field(default_factory=list)  # one per label, optional


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


def autodiscover() -> None:
    """Import every installed app's ``dashboard`` module (called once at start-up)."""
    autodiscover_modules("dashboard")
