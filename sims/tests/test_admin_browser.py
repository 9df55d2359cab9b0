"""The SIM console in a real browser (``core.tests.browser``): the SIM page's label and IMEI
lock form filled, confirmed, sent to 1NCE (the simulator) and the outcome shown; a bulk reset
from the SIM list run as a job whose page shows its progress."""

from django.contrib.admin.utils import quote
from django.urls import reverse

from accounts.models import AuditLog
from core.tests.browser import BROWSER_MARKS, log_in, messages_shown, open_page, shoot, submit

pytestmark = BROWSER_MARKS


def test_an_operator_relabels_a_sim_and_locks_its_imei_from_the_sim_page(
    browser, live_server, onence_fleet, onence_simulator, console_operator, no_rate_limit
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    from sims.models import Sim

    sim = onence_fleet[0]
    Sim.objects.filter(pk=sim.pk).update(imei_lock=False)
    log_in(browser, live_server, console_operator)
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
    assert AuditLog.objects.get(resource_id=sim.iccid, operation="UPDATE").user == console_operator


def test_an_operator_resets_selected_sims_as_a_job_and_lands_on_its_progress(
    browser, live_server, onence_fleet, onence_simulator, console_operator, no_rate_limit
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    from core.models import Job
    from sims.models import ConnectivityReset

    chosen = onence_fleet[:2]
    log_in(browser, live_server, console_operator)
    open_page(browser, live_server, reverse("admin:sims_sim_changelist"))
    for sim in chosen:
        browser.find_element(By.CSS_SELECTOR, f'input.action-select[value="{sim.pk}"]').click()
    Select(browser.find_element(By.NAME, "action")).select_by_value("reset_selected")
    submit(browser, browser.find_element(By.CSS_SELECTOR, 'button[name="index"]'))

    job = Job.objects.get(kind="sims.reset")
    assert browser.current_url.endswith(reverse("admin:core_job_change", args=[quote(job.pk)]))
    shown = messages_shown(browser)
    assert any(m.startswith("Reset 2 SIMs: job") for m in shown), shown
    progress = browser.find_element(By.CSS_SELECTOR, ".job-progress").text
    assert progress == "2 of 2 done (100 %)", progress
    page = browser.find_element(By.ID, "content").text
    assert "Reset connectivity" in page and "sims.reset" not in page
    shoot(browser, "sim-list-bulk-reset-job")
    assert ConnectivityReset.objects.filter(sim__in=chosen).count() == 2
    assert ConnectivityReset.objects.filter(requested_by=console_operator).count() == 2
