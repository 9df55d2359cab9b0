"""The dashboard's cached panels: figures reused within their freshness and recomputed after,
kept per scope (never shared between organizations), refreshed by beat, and a failing panel
still drawn as an error box."""

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from accounts.tests.factories import OrganizationFactory, UserFactory
from core import dashboard
from core.dashboard import DashboardScope, PanelContent, Stat, Viewer, register_panel
from core.locks import HeartbeatLock
from core.tasks import refresh_dashboard
from core.tests.console_fleet import two_fleets
from sims.models import Sim
from sims.tests.factories import SimFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch):
    """The dashboard's clock, moved by hand."""
    now = {"t": dashboard.clock()}
    monkeypatch.setattr(dashboard, "clock", lambda: now["t"])
    return now


@pytest.fixture
def extra_panels():
    """Panels a test registers, removed afterwards."""
    before = dict(dashboard._panels)
    yield
    dashboard._panels.clear()
    dashboard._panels.update(before)


@pytest.fixture
def fleets():
    """North's and south's fleets, each with a staff member."""
    return two_fleets()


def panel_of(page, key):
    for _, panels in page.context["panel_groups"]:
        for rendered in panels:
            if rendered.panel.key == key:
                return rendered
    raise AssertionError(f"no panel {key}")


def client_of(user) -> Client:
    """A console client logged in as ``user``."""
    client = Client()
    client.force_login(user)
    return client


def sim_count(page) -> str:
    return panel_of(page, "sims.status").content.stats[0].value


def test_fleet_aggregates_are_cached_panels_and_show_their_age(fleets, clock):
    cached = {p.key for p in dashboard.registered_panels() if p.cache_seconds}
    assert {"sims.status", "sims.connectivity", "quotas.health", "usage.trend"} <= cached
    page = client_of(fleets[0].user).get(reverse("admin:index"))
    rendered = panel_of(page, "sims.status")
    assert rendered.computed_at is not None
    assert rendered.age == "as of 0 s ago"
    assert "as of 0 s ago" in page.content.decode()
    assert panel_of(page, "core.jobs").computed_at is None  # cheap panels stay live


def test_cached_figures_are_reused_within_their_freshness_and_recomputed_after(fleets, clock):
    own = fleets[0]
    member = client_of(own.user)
    assert sim_count(member.get(reverse("admin:index"))) == "3"
    SimFactory(organization=own.organization)
    clock["t"] += 30
    page = member.get(reverse("admin:index"))
    assert sim_count(page) == "3"  # the cached figure, 30 s old
    assert panel_of(page, "sims.status").age == "as of 30 s ago"
    clock["t"] += dashboard._panels["sims.status"].cache_seconds
    page = member.get(reverse("admin:index"))
    assert sim_count(page) == "4"
    assert panel_of(page, "sims.status").age == "as of 0 s ago"


def test_another_organization_never_sees_the_first_ones_cached_panels(fleets):
    north, south = fleets
    north_page = client_of(north.user).get(reverse("admin:index"))
    assert sim_count(north_page) == "3"
    SimFactory(organization=south.organization)  # south now differs from north
    south_page = client_of(south.user).get(reverse("admin:index"))
    assert sim_count(south_page) == "4"
    top = panel_of(south_page, "usage.top").content.table.rows
    assert {row[0] for row in top} <= {sim.iccid for sim in south.sims}
    assert not {row[0] for row in top} & {sim.iccid for sim in north.sims}
    # One entry per scope: each organization's members, and a superuser's own.
    panel = dashboard._panels["sims.status"]
    keys = {
        dashboard.cache_key(panel, DashboardScope(Viewer(), [north.organization.pk])),
        dashboard.cache_key(panel, DashboardScope(Viewer(), [south.organization.pk])),
        dashboard.cache_key(panel, DashboardScope(Viewer(is_superuser=True), None)),
        dashboard.cache_key(
            panel, DashboardScope(Viewer(is_superuser=True), [north.organization.pk])
        ),
    }
    assert len(keys) == 4
    superuser = UserFactory(organization=None, is_staff=True, is_superuser=True)
    everyone = client_of(superuser).get(reverse("admin:index"))
    assert sim_count(everyone) == "7"
    narrowed = client_of(superuser).get(
        reverse("admin:index"), {"organization": north.organization.pk}
    )
    assert sim_count(narrowed) == "3"


def test_a_failing_cached_panel_is_an_error_box_and_is_not_cached(fleets, extra_panels):
    calls = []

    @register_panel("test.broken", title="Broken", group="Fleet", order=99, cached=True)
    def broken(scope):
        calls.append(scope.key)
        raise RuntimeError("the aggregate failed")

    member = client_of(fleets[0].user)
    for _ in range(2):
        page = member.get(reverse("admin:index"))
        assert page.status_code == 200
        rendered = panel_of(page, "test.broken")
        assert rendered.content is None and "could not be drawn" in rendered.error
        assert panel_of(page, "sims.status").content.stats[0].value == "3"
    assert len(calls) == 2  # tried again: a failure is never served from the cache
    scope = DashboardScope(Viewer(), [fleets[0].organization.pk])
    assert cache.get(dashboard.cache_key(dashboard._panels["test.broken"], scope)) is None


def test_while_another_process_computes_the_previous_figures_are_served(
    fleets, clock, extra_panels
):
    calls = []

    @register_panel("test.counted", title="Counted", group="Fleet", order=99, cached=True)
    def counted(scope):
        calls.append(scope.key)
        return PanelContent(stats=[Stat("Calls", len(calls))])

    scope = DashboardScope(Viewer(), [fleets[0].organization.pk])
    panel = dashboard._panels["test.counted"]
    first = dashboard.render_panel(panel, scope)
    assert first.content.stats[0].value == 1
    clock["t"] += panel.cache_seconds + 1  # stale now
    with HeartbeatLock(f"{dashboard.cache_key(panel, scope)}:lock", ttl=30) as held:
        assert held
        again = dashboard.render_panel(panel, scope)
    assert again.content.stats[0].value == 1 and len(calls) == 1
    assert again.age == "as of 1 minute ago"
    assert dashboard.render_panel(panel, scope).content.stats[0].value == 2


def test_the_beat_task_refreshes_every_organizations_panels(fleets, clock, extra_panels):
    north, south = fleets
    UserFactory(organization=None, is_staff=True, is_superuser=True)
    OrganizationFactory(slug="no-console-user")  # nobody to look: not refreshed
    calls = []

    @register_panel("test.counted", title="Counted", group="Fleet", order=99, cached=True)
    def counted(scope):
        calls.append(scope.key)
        return PanelContent(stats=[Stat("SIMs", scope.filter(Sim.objects.all()).count())])

    result = refresh_dashboard.apply().get()
    assert result["scopes"] == 3 and result["failed"] == 0
    assert sorted(calls) == sorted(
        ["superuser:all", f"member:{north.organization.pk}", f"member:{south.organization.pk}"]
    )
    # A member's request is then served from what beat computed.
    page = client_of(north.user).get(reverse("admin:index"))
    assert len(calls) == 3
    assert panel_of(page, "test.counted").content.stats[0].value == 3
    SimFactory(organization=north.organization)
    clock["t"] += 50
    refresh_dashboard.apply().get()
    page = client_of(north.user).get(reverse("admin:index"))
    assert panel_of(page, "test.counted").content.stats[0].value == 4
    assert sim_count(page) == "4"  # the app panels were refreshed too
    assert panel_of(page, "test.counted").age == "as of 0 s ago"
