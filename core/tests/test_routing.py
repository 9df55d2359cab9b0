"""Every path of ``shared/spec/endpoints.tsv`` reaches the view of its own area, whatever order
``config/urls.py`` includes the apps' urls in: four apps route under ``/sims/`` and none of
their ``{iccid}`` routes may take another's fixed path (``/sims/topup``, ``/sims/limits``).
Without the spec beside the repository this fails in CI and skips elsewhere (``core.tests.spec``).
"""

import sys
import types

import pytest
from django.urls import Resolver404, include, path, resolve

from config import urls as config_urls
from core.identifiers import SIMS_FIXED_PATHS
from core.routers import area
from core.tests.spec import SPEC, require_spec, spec_rows
from core.views import ApiNotFoundView

SAMPLE = {"iccid": "8988228666000000001", "id": "1"}
# The spec's areas that are not an app of their own.
AREA_APP = {"jobs": "core", "foundation": "core"}


def routed_rows():
    """The spec's /api/v1/ paths: the part config/urls.py composes from the apps' urls."""
    return [
        pytest.param(row.path, row.area, id=f"{row.method} {row.path}")
        for row in spec_rows()
        if row.path.startswith("/api/v1/")
    ]


def concrete(spec_path: str) -> str:
    parts = spec_path.split("/")
    return "/".join(SAMPLE.get(p[1:-1], "1") if p.startswith("{") else p for p in parts)


def include_orders():
    """The apps' includes as config/urls.py has them, reversed, and each rotation of both."""
    forward = list(config_urls.api_v1)
    orders = []
    for base in (forward, forward[::-1]):
        orders += [base[i:] + base[:i] for i in range(len(base))]
    return orders


def urlconf_with(api_v1: list) -> types.ModuleType:
    """config.urls with its /api/v1/ includes in the order given."""
    module = types.ModuleType("reordered_urls")
    module.urlpatterns = [
        path("api/v1/", include(api_v1)) if str(p.pattern) == "api/v1/" else p
        for p in config_urls.urlpatterns
    ]
    return module


def view_app(match) -> str:
    view = getattr(match.func, "cls", None) or match.func
    return view.__module__.split(".")[0]


def served(spec_path: str) -> bool:
    try:
        match = resolve(concrete(spec_path))
    except Resolver404:
        return False
    return getattr(match.func, "view_class", None) is not ApiNotFoundView


def test_routing_has_its_data():
    require_spec(SPEC)
    assert routed_rows(), f"no /api/v1/ path found in {SPEC}"


@pytest.mark.parametrize(("spec_path", "area"), routed_rows())
def test_path_reaches_its_areas_view_in_any_include_order(spec_path, area):
    if not served(spec_path):
        pytest.skip("not served yet: api_coverage.py reports it")
    placeholders = sorted(p[1:-1] for p in spec_path.split("/") if p.startswith("{"))
    for order in include_orders():
        match = resolve(concrete(spec_path), urlconf=urlconf_with(order))
        first = [str(r.urlconf_name) for r in order[:1]]
        assert view_app(match) == AREA_APP.get(area, area), (spec_path, first)
        # A fixed segment (sims/limits) taken as an ICCID would add a kwarg the spec lacks.
        assert len(match.kwargs) == len(placeholders), (spec_path, match.kwargs, first)


@pytest.mark.parametrize("word", SIMS_FIXED_PATHS)
def test_no_iccid_route_takes_a_fixed_sims_path(word):
    for order in include_orders():
        match = resolve(f"/api/v1/sims/{word}", urlconf=urlconf_with(order))
        assert "iccid" not in match.kwargs


@pytest.mark.parametrize(
    ("bad_path", "app"),
    [
        ("/api/v1/sims/12345", "sims"),
        ("/api/v1/sims/abc", "sims"),
        ("/api/v1/sims/topups", "sims"),
        ("/api/v1/sims/12345/quota/data", "quotas"),
        ("/api/v1/sims/limits/usage", "usage"),
        ("/api/v1/sims/x1/sms", "sms"),
    ],
)
def test_a_malformed_iccid_still_reaches_the_view_that_answers_400(bad_path, app):
    for order in include_orders():
        match = resolve(bad_path, urlconf=urlconf_with(order))
        assert view_app(match) == app
        assert "iccid" in match.kwargs


def test_an_area_is_entered_only_for_the_first_segments_it_serves():
    outages = area("outages.api.urls")

    for entered in ("outages", "outages/", "outages/OUT000001", "sla/configs", "reports/sla"):
        assert outages.pattern.match(entered) == (entered, (), {}), entered
    for passed_by in ("sims", "outagesx", "slab/configs", "wallets/create", ""):
        assert outages.pattern.match(passed_by) is None, passed_by
    assert str(outages.pattern) == ""  # what the schema and reverse() see


def test_an_area_with_a_pattern_of_no_literal_head_is_always_entered(monkeypatch):
    module = types.ModuleType("headless_urls")
    module.urlpatterns = [path("<str:anything>/detail", ApiNotFoundView.as_view())]
    monkeypatch.setitem(sys.modules, "headless_urls", module)

    assert area("headless_urls").pattern.match("whatever/detail")
