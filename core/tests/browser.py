"""The console in a real browser: Debian's headless Chromium driven by Selenium against the
live server. One copy of the machinery every app's browser test uses (``pytest_plugins`` of the
root ``conftest.py`` makes the ``browser`` fixture available everywhere); screenshots are kept
under ``BROWSER_ARTIFACTS`` (default ``var/artifacts/browser``).

``BROWSER_MARKS`` is a browser test module's ``pytestmark``: skipped only when Chromium or its
driver is not installed (``.ci/run`` installs them).
"""

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from accounts.models import Role
from accounts.tests.factories import DEFAULT_PASSWORD, OrganizationFactory, UserFactory

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver") or (
    "/usr/bin/chromedriver" if Path("/usr/bin/chromedriver").exists() else None
)
ARTIFACTS = Path(
    os.environ.get("BROWSER_ARTIFACTS", Path(django_settings.BASE_DIR) / "var/artifacts/browser")
)

needs_chromium = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="chromium and chromium-driver are not installed (apt-get install chromium "
    "chromium-driver; .ci/run does it)",
)
BROWSER_MARKS = [pytest.mark.browser, needs_chromium, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="fleetops-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1600,1400",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def no_rate_limit(settings):
    settings.RATE_LIMIT_ENABLED = False


@pytest.fixture
def console_operator(organization):
    """A staff operator of ``organization``: the console user of a browser test."""
    return UserFactory(organization=organization, role=Role.OPERATOR, is_staff=True)


def log_in_outsider(browser, live_server, *, role=Role.OPERATOR):
    """Log in a staff user (``role``) of a new organization, for the checks that another
    organization's staff see none of a test's data; returns the user."""
    outsider = UserFactory(organization=OrganizationFactory(), role=role, is_staff=True)
    log_in(browser, live_server, outsider)
    return outsider


def log_in(browser, live_server, user, attempts: int = 3):
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    browser.delete_all_cookies()
    for attempt in range(attempts):
        try:
            open_page(browser, live_server, "/admin/login/")
            if _past_login(browser):  # an earlier attempt's form went through after all
                return
            WebDriverWait(browser, 10).until(
                expected_conditions.presence_of_element_located((By.NAME, "username"))
            ).send_keys(user.username)
            browser.find_element(By.NAME, "password").send_keys(DEFAULT_PASSWORD)
            submit(browser, browser.find_element(By.CSS_SELECTOR, "input[type=submit]"))
            return
        except WebDriverException as error:
            # Under load Chromium now and then loses the form it has just shown ("Node with
            # given id does not belong to the document"), or the wait for the page the form
            # leads to runs out though the login went through: the login page is loaded
            # again, and it sends a user who is in to the console.
            if attempt == attempts - 1:
                raise AssertionError(
                    f"no login form at {browser.current_url} ({browser.title!r})"
                ) from error


def _past_login(browser) -> bool:
    """Whether the login page sent the browser on: its session is logged in already."""
    from selenium.webdriver.common.by import By

    return "/admin/login/" not in browser.current_url and not browser.find_elements(
        By.NAME, "username"
    )


def submit(browser, element):
    """Click ``element`` (a button that loads another page) and wait for that page: the one
    it leaves is already "ready", so waiting for readiness alone could read the old page."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    page = browser.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(browser, 30).until(expected_conditions.staleness_of(page))
    wait_ready(browser)


def wait_ready(browser):
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, 30).until(
        lambda d: d.execute_script(
            "return document.documentElement.getAttribute('data-console-ready') === 'true'"
        )
    )


def open_page(browser, live_server, url: str):
    """Open a console URL (a path) and wait for the page to be ready."""
    browser.get(f"{live_server.url}{url}")
    wait_ready(browser)


def assert_hidden(browser, live_server, *, changelist: str, change: str, secret: str, shot: str):
    """Another organization's staff user (logged in) finds no row on ``changelist`` and is sent
    home from ``change`` (a row's page): ``secret`` (a text of that row) shows on neither.
    Screenshots ``<shot>-list`` and ``<shot>-page``."""
    from selenium.webdriver.common.by import By

    open_page(browser, live_server, changelist)
    assert not browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")
    assert secret not in browser.page_source
    shoot(browser, f"{shot}-list")
    open_page(browser, live_server, change)
    assert secret not in browser.page_source
    assert browser.current_url.rstrip("/").endswith("/admin")
    shoot(browser, f"{shot}-page")


def shoot(browser, name: str) -> Path:
    path = ARTIFACTS / f"{name}.png"
    height = browser.execute_script("return document.body.scrollHeight")
    browser.set_window_size(1600, min(max(height, 900), 6000))
    browser.save_screenshot(str(path))
    browser.set_window_size(1600, 1400)
    return path


def chart_points(browser) -> dict[str, list[int]]:
    """Each chart on the page: the number of points in each of its datasets (read from the
    Chart.js instances themselves)."""
    return browser.execute_script(
        "const out = {};"
        "for (const [key, chart] of Object.entries(window.FleetOpsCharts || {})) {"
        "  out[key] = chart.data.datasets.map(d => d.data.filter(v => v !== null).length);"
        "}"
        "return out;"
    )


def panel_stats(browser, key: str) -> dict[str, str]:
    """The figures of the dashboard panel ``key``: lower-cased label -> value as shown."""
    from selenium.webdriver.common.by import By

    panel = browser.find_element(By.CSS_SELECTOR, f'[data-panel="{key}"]')
    return {
        stat.find_element(By.CSS_SELECTOR, ".label").text.lower(): stat.find_element(
            By.CSS_SELECTOR, ".value"
        ).text
        for stat in panel.find_elements(By.CSS_SELECTOR, ".console-stat")
    }


def messages_shown(browser) -> list[str]:
    from selenium.webdriver.common.by import By

    return [e.text for e in browser.find_elements(By.CSS_SELECTOR, "ul.messagelist li")]


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Where the browser tests left their screenshots (whichever app's tests ran)."""
    shots = sorted(ARTIFACTS.glob("*.png")) if ARTIFACTS.exists() else []
    if shots:
        terminalreporter.write_sep("-", "console screenshots")
        terminalreporter.write_line(f"{len(shots)} screenshot(s) in {ARTIFACTS}")
