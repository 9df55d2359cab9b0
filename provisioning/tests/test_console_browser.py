"""The provisioning console in headless Chromium (``core.tests.browser``): subscribers
provisioned through the PMNL simulator, listed with their IMSI; today's requests panel; a
deactivation from the console reaching PMNL; the cust_id mappings; another organization's
staff see none of it."""

import pytest
from django.urls import reverse

from core.context import Context
from core.tests.browser import (
    BROWSER_MARKS,
    assert_hidden,
    log_in,
    log_in_outsider,
    open_page,
    panel_stats,
    shoot,
    submit,
)
from provisioning import services
from provisioning.models import CustomerAuthorization, Subscriber
from provisioning.tests.conftest import CUST_ID, create_body

pytestmark = BROWSER_MARKS


@pytest.fixture
def console_operator(console_operator, organization):
    """The console's operator, granted the PMNL customer the subscribers belong to."""
    CustomerAuthorization.objects.create(
        organization=organization, user=console_operator, cust_id=CUST_ID
    )
    return console_operator


@pytest.fixture
def provisioned(pmnl, organization, console_operator):
    """Two subscribers created at the PMNL simulator by the operator."""
    context = Context(actor=console_operator)
    for _ in range(2):
        services.create_subscriber(
            organization=organization, body=create_body(), queue_request=False, context=context
        )
    return list(Subscriber.objects.filter(organization=organization))


def test_an_operator_reads_subscribers_and_deactivates_one_at_pmnl(
    browser, live_server, provisioned, console_operator, pmnl, settings
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    log_in(browser, live_server, console_operator)
    stats = panel_stats(browser, "provisioning.requests")
    assert stats["requests"] == "2" and stats["failed"] == "0"
    nav = browser.find_element(By.ID, "nav-sidebar")
    assert nav.find_element(By.CSS_SELECTOR, 'a[href$="/provisioning/subscriber/"]')
    shoot(browser, "provisioning-01-dashboard")

    open_page(browser, live_server, reverse("admin:provisioning_subscriber_changelist"))
    text = browser.find_element(By.ID, "result_list").text
    for row in provisioned:
        assert row.iccid in text and row.imsi and row.imsi in text
    shoot(browser, "provisioning-02-subscribers")

    target = provisioned[0]
    browser.find_element(By.CSS_SELECTOR, f'input.action-select[value="{target.pk}"]').click()
    Select(browser.find_element(By.NAME, "action")).select_by_value("deactivate_selected")
    submit(browser, browser.find_element(By.CSS_SELECTOR, 'button[name="index"]'))
    target.refresh_from_db()
    assert target.subscriber_state is False
    upstream = pmnl.get_subscriber(client_id=settings.PMNL_CLIENT_ID, iccid=target.iccid)
    assert upstream["subscriber_state"] is False
    shoot(browser, "provisioning-03-deactivated")

    open_page(browser, live_server, reverse("admin:provisioning_provisioningrequest_changelist"))
    assert len(browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")) == 3
    open_page(browser, live_server, reverse("admin:provisioning_customerauthorization_changelist"))
    assert CUST_ID in browser.find_element(By.ID, "result_list").text
    shoot(browser, "provisioning-04-authorizations")


def test_a_staff_user_of_another_organization_sees_no_subscriber(browser, live_server, provisioned):
    log_in_outsider(browser, live_server)
    ours = provisioned[0]
    assert_hidden(
        browser,
        live_server,
        changelist=reverse("admin:provisioning_subscriber_changelist"),
        change=reverse("admin:provisioning_subscriber_change", args=[ours.pk]),
        secret=ours.iccid,
        shot="provisioning-05-other-organization",
    )
