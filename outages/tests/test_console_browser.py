"""The outages console in headless Chromium (``core.tests.browser``): outages opened and
resolved through the services, listed with severity, MTTR and SLA result, and shown with their
timeline and SLA clock; the dashboard's outage panels; another organization's staff see none."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core.context import Context
from core.tests.browser import (
    BROWSER_MARKS,
    assert_hidden,
    chart_points,
    log_in,
    log_in_outsider,
    open_page,
    shoot,
)
from outages import services

pytestmark = BROWSER_MARKS


@pytest.fixture
def outages(organization, other_organization, console_operator):
    """A critical outage resolved after 40 minutes (SLA violated, 15 allowed), one resolved
    after 10 (met), one running for 3 minutes; another organization's running outage."""
    context = Context(actor=console_operator, via="test")
    now = timezone.now()

    def outage(organization, site_name, minutes_ago, resolved_after=None, context=context):
        opened = services.create_outage(
            organization=organization,
            site_name=site_name,
            severity="critical",
            detected_at=now - timedelta(minutes=minutes_ago),
            description="Total signal loss",
            context=context,
        )
        if resolved_after is not None:
            opened, _ = services.resolve_outage(
                outage=opened,
                resolved_at=opened.detected_at + timedelta(minutes=resolved_after),
                resolution_notes="Power restored",
                context=context,
            )
        return opened

    violated = outage(organization, "Berlin Mitte tower", 120, resolved_after=40)
    services.update_outage(
        outage=violated, changes={"root_cause": "Mains power cut"}, context=context
    )
    met = outage(organization, "Hamburg port tower", 60, resolved_after=10)
    running = outage(organization, "Munich east tower", 3)
    theirs = outage(other_organization, "Foreign tower", 5, context=Context.system(via="test"))
    violated.refresh_from_db()
    return {"violated": violated, "met": met, "running": running, "theirs": theirs}


def test_an_operator_reads_outages_their_timeline_and_sla_result(
    browser, live_server, outages, console_operator
):
    from selenium.webdriver.common.by import By

    violated = outages["violated"]
    log_in(browser, live_server, console_operator)

    # The dashboard's outage panels draw the organization's outages.
    active = browser.find_element(By.CSS_SELECTOR, '[data-panel="outages.active"]')
    assert active.find_element(By.CSS_SELECTOR, ".console-stat .value").text == "1"  # critical
    points = chart_points(browser)
    assert points["panel-outages-active-data"] == [4]
    shoot(browser, "outages-01-dashboard")

    # The list: every outage of the organization, MTTR in minutes, the SLA result.
    open_page(browser, live_server, reverse("admin:outages_outage_changelist"))
    rows = {
        row.find_element(By.CSS_SELECTOR, "th, td.field-outage_id").text: row.text
        for row in browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")
    }
    assert set(rows) == {o.public_id for k, o in outages.items() if k != "theirs"}
    assert "Berlin Mitte tower" in rows[violated.public_id]
    assert "40 min" in rows[violated.public_id]
    assert "violated" in rows[violated.public_id]
    assert "10 min" in rows[outages["met"].public_id]
    assert "met" in rows[outages["met"].public_id]
    assert "running" in rows[outages["running"].public_id]
    assert "Foreign tower" not in browser.page_source
    nav = browser.find_element(By.ID, "nav-sidebar")
    assert nav.find_element(By.CSS_SELECTOR, 'a[href$="/outages/outage/"]')
    shoot(browser, "outages-02-list")

    # The violated outage's page: SLA result, MTTR and its timeline, in order, with who did it.
    open_page(browser, live_server, reverse("admin:outages_outage_change", args=[violated.pk]))
    content = browser.find_element(By.ID, "content").text
    assert violated.public_id in content
    assert "violated: MTTR 40 of 15 min" in content
    timeline = [
        row.text
        for row in browser.find_elements(By.CSS_SELECTOR, "#timeline-group tbody tr.has_original")
    ]
    entries = list(violated.timeline.order_by("occurred_at", "id"))
    assert len(timeline) == len(entries) >= 3
    for shown, entry in zip(timeline, entries, strict=True):
        assert entry.event in shown and entry.actor_name in shown
    assert any(console_operator.username in row for row in timeline)
    assert "TIMELINE" in browser.find_element(By.CSS_SELECTOR, "#timeline-group h2").text.upper()
    # Timestamps, MTTR and the timeline are the services' records: nothing to type.
    assert not browser.find_elements(By.CSS_SELECTOR, "input[name=mttr_minutes]")
    assert not browser.find_elements(By.CSS_SELECTOR, "input[name=resolved_at_0]")
    assert not browser.find_elements(By.CSS_SELECTOR, "#timeline-group input[type=text]")
    shoot(browser, "outages-03-outage-page")

    # The running outage's page: its SLA clock.
    open_page(
        browser, live_server, reverse("admin:outages_outage_change", args=[outages["running"].pk])
    )
    assert "min left" in browser.find_element(By.ID, "content").text
    shoot(browser, "outages-04-running-outage-page")

    # The SLA results list.
    open_page(browser, live_server, reverse("admin:outages_slaresult_changelist"))
    text = browser.find_element(By.ID, "result_list").text
    assert violated.public_id in text and outages["met"].public_id in text
    assert len(browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")) == 2
    shoot(browser, "outages-05-sla-results")


def test_a_staff_user_of_another_organization_sees_no_outage(browser, live_server, outages):
    from selenium.webdriver.common.by import By

    log_in_outsider(browser, live_server)
    active = browser.find_element(By.CSS_SELECTOR, '[data-panel="outages.active"]')
    assert active.find_element(By.CSS_SELECTOR, ".console-stat .value").text == "0"

    assert_hidden(
        browser,
        live_server,
        changelist=reverse("admin:outages_outage_changelist"),
        change=reverse("admin:outages_outage_change", args=[outages["violated"].pk]),
        secret="Berlin Mitte tower",
        shot="outages-06-other-organization",
    )

    open_page(browser, live_server, reverse("admin:outages_slaresult_changelist"))
    assert not browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")
