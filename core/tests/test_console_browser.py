"""The console in a real browser (machinery in ``core.tests.browser``): the SIM fleet pages
against the 1NCE simulator, the dashboard, and the scheduler."""

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from accounts.tests.factories import UserFactory
from core.models import Job, JobStatus
from core.tests.browser import (
    BROWSER_MARKS,
    chart_points,
    log_in,
    log_in_outsider,
    messages_shown,
    shoot,
    submit,
    wait_ready,
)

pytestmark = BROWSER_MARKS


@pytest.fixture
def demo_fleet(onence_simulator, organization, no_rate_limit):
    """The demo path: a simulator fleet with 90 days of usage, mirrored by the real syncs, a
    connectivity reading per SIM, a top-up, an SMS and a job running."""
    from core.context import Context
    from quotas.services import check_quotas, top_up_sim
    from sims.models import Sim
    from sims.services import live_connectivity, sync_organization
    from sms.services import send_sms
    from usage.services import sync_usage

    onence_simulator.seed_fleet(sims=6, days=90)
    sync_organization(organization=organization)
    sync_usage(organization=organization)
    sims = list(Sim.objects.filter(organization=organization).order_by("iccid"))
    for sim in sims:
        live_connectivity(sim=sim)
    check_quotas(organization=organization)
    context = Context.system(via="test")
    top_up_sim(
        sim=sims[0],
        quota_type="data",
        volume=django_settings.TOPUP_DATA_PACKAGE_BYTES,
        context=context,
    )
    send_sms(sim=sims[0], message="hello from the demo", context=context)
    Job.objects.create(
        kind="quota.bulk_topup", organization=organization, status=JobStatus.PROCESSING, total=10
    )
    return sims


def test_an_operator_runs_the_fleet_from_the_console(
    browser, live_server, demo_fleet, console_operator
):
    from selenium.webdriver.common.by import By

    from core.dashboard import registered_panels
    from quotas.models import TopUp
    from sims.models import ConnectivityReset

    log_in(browser, live_server, console_operator)

    # The dashboard: every panel, every chart holding points.
    assert browser.title.startswith("Dashboard | FleetOps")
    for panel in registered_panels():
        section = browser.find_element(By.CSS_SELECTOR, f'[data-panel="{panel.key}"]')
        assert "could not be drawn" not in section.text, panel.key
    points = chart_points(browser)
    assert {"panel-sims-status-data", "panel-usage-trend-data", "panel-sms-delivery-data"} <= set(
        points
    )
    # This fleet is the 1NCE demo: its panels' charts hold points (outages, provisioning and
    # payments panels draw their own data, seeded in their apps' tests).
    fleet_charts = {
        key: counts
        for key, counts in points.items()
        if key.split("-")[1] in {"sims", "usage", "quotas", "sms"}
    }
    assert fleet_charts and all(counts[0] > 0 for counts in fleet_charts.values()), points
    assert points["panel-usage-trend-data"] == [90, 90]
    fleet = browser.find_element(By.CSS_SELECTOR, '[data-panel="sims.status"] .console-stat')
    assert fleet.text.split("\n")[0] == "6"
    shoot(browser, "01-dashboard")

    # The SIM list, then the SIM page with its chart.
    sim = demo_fleet[0]
    browser.get(f"{live_server.url}{reverse('admin:sims_sim_changelist')}")
    wait_ready(browser)
    assert sim.iccid in browser.page_source
    assert "Data used this month" in browser.page_source
    shoot(browser, "02-sim-list")
    browser.get(f"{live_server.url}{reverse('admin:sims_sim_change', args=[sim.pk])}")
    wait_ready(browser)
    assert chart_points(browser)["sim-usage-data"] == [90, 90]
    assert "online" in browser.find_element(By.ID, "sim-connectivity").text
    shoot(browser, "03-sim-page")

    # A top-up from the page: confirm, then the outcome.
    submit(browser, browser.find_element(By.NAME, "do-topup"))
    assert "Top up for SIM" in browser.find_element(By.ID, "confirm-operation").text
    shoot(browser, "04-topup-confirmation")
    submit(browser, browser.find_element(By.NAME, "confirm"))
    shown = messages_shown(browser)
    assert any("completed" in m.lower() for m in shown), shown
    assert TopUp.objects.filter(sim=sim, source="admin", status="completed").count() == 1
    shoot(browser, "05-topup-done")

    # A reset from the page.
    submit(browser, browser.find_element(By.NAME, "do-reset"))
    submit(browser, browser.find_element(By.NAME, "confirm"))
    assert any("reset requested" in m.lower() for m in messages_shown(browser))
    assert ConnectivityReset.objects.filter(sim=sim).count() == 1
    shoot(browser, "06-reset-done")


def test_a_staff_user_of_another_organization_sees_none_of_it(
    browser, live_server, demo_fleet, organization
):
    from selenium.webdriver.common.by import By

    log_in_outsider(browser, live_server)
    fleet = browser.find_element(By.CSS_SELECTOR, '[data-panel="sims.status"] .console-stat')
    assert fleet.text.split("\n")[0] == "0"
    assert all(sim.iccid not in browser.page_source for sim in demo_fleet)
    shoot(browser, "07-other-organization-dashboard")

    browser.get(f"{live_server.url}{reverse('admin:sims_sim_changelist')}")
    wait_ready(browser)
    assert all(sim.iccid not in browser.page_source for sim in demo_fleet)
    shoot(browser, "08-other-organization-sim-list")

    browser.get(f"{live_server.url}{reverse('admin:sims_sim_change', args=[demo_fleet[0].pk])}")
    wait_ready(browser)
    assert demo_fleet[0].iccid not in browser.page_source
    assert browser.current_url.rstrip("/").endswith("/admin")
    shoot(browser, "09-other-organization-sim-page")


def test_the_scheduler_page_in_the_browser(browser, live_server, no_rate_limit):
    from django.core.management import call_command
    from selenium.webdriver.common.by import By

    call_command("setup_periodic_tasks", verbosity=0)
    superuser = UserFactory(organization=None, is_staff=True, is_superuser=True)
    log_in(browser, live_server, superuser)
    browser.get(f"{live_server.url}{reverse('admin:scheduler')}")
    wait_ready(browser)
    rows = browser.find_elements(By.CSS_SELECTOR, "#scheduler tbody tr[data-task]")
    assert len(rows) >= 5
    assert "every" in rows[0].text
    shoot(browser, "10-scheduler")
