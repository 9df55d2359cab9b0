"""The SIM page's label and IMEI lock form in a real browser (``core.tests.browser``): filled,
confirmed, sent to 1NCE (the simulator) and the outcome shown."""

from django.urls import reverse

from accounts.models import AuditLog, Role
from accounts.tests.factories import UserFactory
from core.tests.browser import BROWSER_MARKS, log_in, messages_shown, open_page, shoot, submit

pytestmark = BROWSER_MARKS


def test_an_operator_relabels_a_sim_and_locks_its_imei_from_the_sim_page(
    browser, live_server, onence_fleet, onence_simulator, organization, no_rate_limit
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    from sims.models import Sim

    sim = onence_fleet[0]
    Sim.objects.filter(pk=sim.pk).update(imei_lock=False)
    operator = UserFactory(organization=organization, role=Role.OPERATOR, is_staff=True)
    log_in(browser, live_server, operator)
    open_page(browser, live_server, reverse("admin:sims_sim_change", args=[sim.pk]))

    label = browser.find_element(By.ID, "settings_label")
    label.clear()
    label.send_keys("Kiosk 7")
    Select(browser.find_element(By.ID, "settings_imei_lock")).select_by_value("on")
    submit(browser, browser.find_element(By.NAME, "do-settings"))
    assert "Kiosk 7" in browser.find_element(By.ID, "confirm-operation").text
    submit(browser, browser.find_element(By.NAME, "confirm"))

    shown = messages_shown(browser)
    assert any(m.startswith("Saved at 1NCE") for m in shown), shown
    shoot(browser, "sim-settings-saved")
    upstream = onence_simulator.get_sim(sim.iccid)
    assert (upstream["label"], upstream["imei_lock"]) == ("Kiosk 7", True)
    assert AuditLog.objects.get(resource_id=sim.iccid, operation="UPDATE").user == operator
