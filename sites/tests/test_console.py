"""Console pages for sites: changes go through the services (SIMs placed, tag rule, policy),
lists show the organization's own rows only; the periodic jobs and the scoped reads."""

import pytest
from django.test import Client

from accounts.models import Role
from core.errors import NotFound
from sims.models import Sim
from sims.tests.factories import SimFactory
from sites import selectors
from sites.models import DetectionPolicy, Site
from sites.tasks import reconcile_site_presence, settle_site_outages
from sites.tests.factories import SiteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def console(make_user):
    client = Client()
    client.force_login(make_user(Role.ADMIN, is_staff=True))
    return client


def site_form(**values) -> dict:
    return {
        "code": "BER01",
        "name": "Berlin tower",
        "location": "Berlin",
        "latitude": "",
        "longitude": "",
        "tags": "[]",
        "criticality": "high",
        "add_sims": "",
        **values,
    }


def test_a_site_added_in_the_console_places_the_sims_named(console, organization):
    sims = [SimFactory(organization=organization) for _ in range(2)]
    response = console.post(
        "/admin/sites/site/add/", site_form(add_sims=", ".join(s.iccid for s in sims))
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    site = Site.objects.get(organization=organization, code="BER01")
    assert site.criticality == "high"
    assert set(Sim.objects.filter(site=site).values_list("iccid", flat=True)) == {
        s.iccid for s in sims
    }


def test_the_site_list_shows_the_organizations_sites_only(
    console, organization, other_organization
):
    SiteFactory(organization=organization, code="MINE01")
    SiteFactory(organization=other_organization, code="THEIRS01")
    page = console.get("/admin/sites/site/").content.decode()
    assert "MINE01" in page and "THEIRS01" not in page


def test_a_change_keeps_the_code_and_goes_through_the_services(console, organization):
    site = SiteFactory(organization=organization, code="HAM01", name="Old")
    response = console.post(
        f"/admin/sites/site/{site.pk}/change/", site_form(code="HAM01", name="Hamburg port")
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    site.refresh_from_db()
    assert (site.code, site.name) == ("HAM01", "Hamburg port")


def test_the_tag_rule_action_places_tagged_sims(console, organization):
    site = SiteFactory(organization=organization, code="MUC01")
    sim = SimFactory(organization=organization, tags=["site:MUC01"])
    response = console.post(
        "/admin/sites/site/", {"action": "apply_tag_rule", "_selected_action": [site.pk]}
    )
    assert response.status_code == 302
    sim.refresh_from_db()
    assert sim.site_id == site.pk


def placed_message(console, site) -> list[str]:
    response = console.post(
        "/admin/sites/site/",
        {"action": "apply_tag_rule", "_selected_action": [site.pk]},
        follow=True,
    )
    return [str(m) for m in response.context["messages"]]


def test_the_tag_rule_says_how_many_sims_it_placed_in_words(console, organization):
    site = SiteFactory(organization=organization, code="MUC01")
    SimFactory(organization=organization, tags=["site:MUC01"])
    assert placed_message(console, site) == ["1 SIM placed by their site: tag."]

    SimFactory.create_batch(2, organization=organization, tags=["site:MUC01"])
    assert placed_message(console, site) == ["2 SIMs placed by their site: tag."]


POLICY_FORM = {
    "threshold_percent": 40,
    "window_seconds": 300,
    "min_sims": 5,
    "settle_seconds": 600,
    "auto_resolve": "on",
    "flap_transitions": 4,
    "flap_window_seconds": 900,
}


def test_the_detection_policy_is_set_in_the_console(console, organization):
    response = console.post("/admin/sites/detectionpolicy/add/", POLICY_FORM)
    assert response.status_code == 302, response.content.decode()[:2000]
    policy = DetectionPolicy.objects.get(organization=organization)
    assert (policy.threshold_percent, policy.min_sims) == (40, 5)


def test_an_operator_cannot_change_the_detection_policy_in_the_console_either(
    make_user, organization
):
    """The API lets admins only tune detection; the console's door keeps the same rule."""
    operator = Client()
    operator.force_login(make_user(Role.OPERATOR, is_staff=True))

    response = operator.post("/admin/sites/detectionpolicy/add/", POLICY_FORM, follow=True)

    assert "Only an organization admin may change the detection policy." in response.text
    assert not DetectionPolicy.objects.filter(organization=organization).exists()


def test_site_outage_pages_answer(console):
    assert console.get("/admin/sites/siteoutage/").status_code == 200


def test_the_periodic_jobs_run_through_their_services(organization):
    assert isinstance(settle_site_outages.delay().get(), dict)
    assert isinstance(reconcile_site_presence.delay().get(), dict)


def test_a_site_is_found_in_the_callers_organization_only(make_user, other_organization):
    site = SiteFactory(organization=other_organization, code="FAR01")
    with pytest.raises(NotFound):
        selectors.site_for_user("FAR01", user=make_user())
    assert (
        selectors.site_for_user(
            "FAR01", user=make_user(is_superuser=True), organization_id=other_organization.pk
        )
        == site
    )
