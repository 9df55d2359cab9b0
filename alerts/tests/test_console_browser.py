"""The alerts console in headless Chromium (``core.tests.browser``): the open-alerts panel, the
inbox with its acknowledge action, rules, a webhook with its delivery log; another
organization's staff see none of it."""

import pytest
from django.urls import reverse

from alerts import services
from alerts.models import Alert, AlertStatus, WebhookDelivery
from core.context import Context
from core.events import dispatch_pending, publish
from core.tests.browser import (
    BROWSER_MARKS,
    assert_hidden,
    chart_points,
    log_in,
    log_in_outsider,
    open_page,
    panel_stats,
    shoot,
    submit,
)

pytestmark = BROWSER_MARKS


@pytest.fixture
def alerting(organization, other_organization, receiver):
    """Our quota crossing (twice: one alert), a depletion, a webhook that received them;
    another organization's alert."""
    webhook, _ = services.create_webhook(
        organization=organization, url=receiver.url, event_types=["quota.*"], context=Context()
    )
    for subject, name in (
        ("sim:8988228666000000001", "quota.threshold_reached"),
        ("sim:8988228666000000001", "quota.threshold_reached"),
        ("sim:8988228666000000002", "quota.depleted"),
        ("sim:THEIRS0000000000009", "quota.depleted"),
    ):
        owner = other_organization if "THEIRS" in subject else organization
        publish(name, organization_id=owner.pk, subject=subject, data={"threshold": 80})
    dispatch_pending()  # the test's commits run eagerly; this hands over whatever is left
    services.drain(webhook.pk)
    return {"webhook": webhook, "theirs": Alert.objects.get(organization=other_organization)}


def test_an_operator_works_the_inbox_and_reads_a_webhooks_deliveries(
    browser, live_server, alerting, console_operator
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    log_in(browser, live_server, console_operator)
    stats = panel_stats(browser, "alerts.open")
    assert stats["open or acknowledged"] == "2"  # ours: a crossing (twice) and a depletion
    assert chart_points(browser)["panel-alerts-open-data"] == [2]
    nav = browser.find_element(By.ID, "nav-sidebar")
    assert nav.find_element(By.CSS_SELECTOR, 'a[href$="/alerts/alert/"]')
    shoot(browser, "alerts-01-dashboard")

    # The inbox: our two alerts (the repeated crossing is one), not theirs; acknowledge one.
    open_page(browser, live_server, reverse("admin:alerts_alert_changelist"))
    rows = browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")
    assert len(rows) == 2
    assert "THEIRS" not in browser.page_source
    crossing = Alert.objects.get(event_type="quota.threshold_reached")
    assert crossing.event_count == 2
    browser.find_element(By.CSS_SELECTOR, f'input.action-select[value="{crossing.pk}"]').click()
    Select(browser.find_element(By.NAME, "action")).select_by_value("acknowledge_selected")
    submit(browser, browser.find_element(By.CSS_SELECTOR, 'button[name="index"]'))
    crossing.refresh_from_db()
    assert crossing.status == AlertStatus.ACKNOWLEDGED
    assert crossing.acknowledged_by == console_operator
    shoot(browser, "alerts-02-inbox-acknowledged")

    # The webhook's page: its delivery log, every delivery succeeded; no secret anywhere.
    webhook = alerting["webhook"]
    open_page(browser, live_server, reverse("admin:alerts_webhook_change", args=[webhook.pk]))
    page = browser.find_element(By.ID, "content").text
    for delivery in WebhookDelivery.objects.filter(webhook=webhook):
        assert delivery.delivery_id in page
    assert "Delivered" in page
    assert webhook.secret not in browser.page_source
    shoot(browser, "alerts-03-webhook-deliveries")

    # The rules: the organization's defaults.
    open_page(browser, live_server, reverse("admin:alerts_alertrule_changelist"))
    assert "Quota over 80 %" in browser.find_element(By.ID, "result_list").text
    shoot(browser, "alerts-04-rules")


def test_a_staff_user_of_another_organization_sees_no_alert(browser, live_server, alerting):
    log_in_outsider(browser, live_server)
    ours = Alert.objects.filter(event_type="quota.depleted").exclude(pk=alerting["theirs"].pk).get()
    assert_hidden(
        browser,
        live_server,
        changelist=reverse("admin:alerts_alert_changelist"),
        change=reverse("admin:alerts_alert_change", args=[ours.pk]),
        secret=ours.subject,
        shot="alerts-05-other-organization",
    )
