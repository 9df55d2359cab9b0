"""The sites console in headless Chromium (``core.tests.browser``): sites made through the
services with SIMs of the 1NCE simulator placed at them; a site loses most of its SIMs over
the simulator's Data Streamer and the site's page shows its SIMs and its outage; another
organization's staff see none of it."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core.tests.browser import (
    BROWSER_MARKS,
    assert_hidden,
    log_in,
    log_in_outsider,
    open_page,
    shoot,
)
from sims.tests.factories import SimFactory
from sites.models import SiteOutage

pytestmark = BROWSER_MARKS


@pytest.fixture
def site_down(onence_simulator, organization, other_organization, live_server, stream, make_site):
    """Twelve simulator SIMs: ten at BER-A (eight of them lost within a minute, over the Data
    Streamer: an outage opens), two at HAM-B. Another organization has a site of its own."""
    iccids = onence_simulator.seed_fleet(sims=12, days=1)
    for iccid in iccids:
        SimFactory(organization=organization, iccid=iccid)
    site = make_site(
        organization, iccids=iccids[:10], code="BER-A", name="Berlin tower A", criticality="high"
    )
    other = make_site(organization, iccids=iccids[10:], code="HAM-B", name="Hamburg tower B")
    theirs = make_site(other_organization, sims=2, code="FOREIGN-1", name="Foreign tower")
    data_stream, password = stream
    onence_simulator.configure_data_stream(
        url=live_server.url + reverse("sites-api:data-streamer-events"),
        username=data_stream.username,
        password=password,
    )
    t0 = timezone.now().replace(second=0, microsecond=0) - timedelta(minutes=20)
    onence_simulator.script_site_loss(iccids=iccids[:8], lose_at=t0, spread_seconds=40)
    assert onence_simulator.stream_events(until=t0 + timedelta(minutes=5))["last_status"] == 200
    site.refresh_from_db()
    site_outage = SiteOutage.objects.select_related("outage").get(site=site)
    return {
        "site": site,
        "other": other,
        "theirs": theirs,
        "iccids": iccids,
        "site_outage": site_outage,
    }


def test_an_operator_reads_sites_their_sims_and_outage(
    browser, live_server, site_down, console_operator
):
    from selenium.webdriver.common.by import By

    site, site_outage = site_down["site"], site_down["site_outage"]
    assert (site.sim_count, site.offline_count) == (10, 8)
    log_in(browser, live_server, console_operator)

    # The list: the organization's sites with their SIMs online and offline.
    open_page(browser, live_server, reverse("admin:sites_site_changelist"))
    rows = {
        row.find_element(By.CSS_SELECTOR, "th").text: row.text
        for row in browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")
    }
    assert set(rows) == {"BER-A", "HAM-B"}
    assert "Berlin tower A" in rows["BER-A"] and "10 2 8" in rows["BER-A"]
    assert "Foreign tower" not in browser.page_source
    shoot(browser, "sites-01-list")

    # The site's page: its SIMs (eight offline), its outage linking to the outage's page.
    open_page(browser, live_server, reverse("admin:sites_site_change", args=[site.pk]))
    sims = {
        row.find_elements(By.TAG_NAME, "td")[0].text: row.text
        for row in browser.find_elements(By.CSS_SELECTOR, "#site-sims tbody tr")
    }
    assert set(sims) == set(site_down["iccids"][:10])
    offline = [iccid for iccid, text in sims.items() if "offline since" in text]
    assert sorted(offline) == sorted(site_down["iccids"][:8])
    outages = browser.find_elements(By.CSS_SELECTOR, "#site-outages tbody tr")
    assert len(outages) == 1
    assert site_outage.outage.public_id in outages[0].text and "8" in outages[0].text
    link = outages[0].find_element(By.TAG_NAME, "a").get_attribute("href")
    assert link.endswith(reverse("admin:outages_outage_change", args=[site_outage.outage_id]))
    # The counts are the services' (presence), not typed.
    assert not browser.find_elements(By.CSS_SELECTOR, "input[name=sim_count]")
    assert not browser.find_elements(By.CSS_SELECTOR, "input[name=code]")
    shoot(browser, "sites-02-site-page")

    # The site outage's page: its SIM evidence.
    open_page(browser, live_server, reverse("admin:sites_siteoutage_change", args=[site_outage.pk]))
    evidence = browser.find_elements(By.CSS_SELECTOR, "#evidence-group tbody tr.has_original")
    assert len(evidence) == 8
    shoot(browser, "sites-03-site-outage-page")

    # The outage the site opened, with its timeline.
    open_page(browser, live_server, link.removeprefix(live_server.url))
    assert "BER-A" in browser.find_element(By.ID, "content").text
    assert browser.find_elements(By.CSS_SELECTOR, "#timeline-group tbody tr.has_original")
    shoot(browser, "sites-04-outage-page")


def test_a_staff_user_of_another_organization_sees_no_site(browser, live_server, site_down):
    log_in_outsider(browser, live_server)
    assert_hidden(
        browser,
        live_server,
        changelist=reverse("admin:sites_site_changelist"),
        change=reverse("admin:sites_site_change", args=[site_down["site"].pk]),
        secret="BER-A",
        shot="sites-05-other-organization",
    )

    open_page(
        browser,
        live_server,
        reverse("admin:sites_siteoutage_change", args=[site_down["site_outage"].pk]),
    )
    assert site_down["iccids"][0] not in browser.page_source
    assert browser.current_url.rstrip("/").endswith("/admin")
