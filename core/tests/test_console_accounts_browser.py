"""An organization's admin connects its upstream accounts and grants customer ids in headless
Chromium (``core.tests.browser``); no secret comes back on any page; an admin of another
organization finds none of it."""

import pytest
from django.urls import reverse
from stellar_sdk import Keypair

from accounts.models import Role
from accounts.tests.factories import OrganizationFactory, UserFactory
from core.tests.browser import (
    BROWSER_MARKS,
    assert_hidden,
    log_in,
    log_in_outsider,
    messages_shown,
    open_page,
    shoot,
    submit,
)
from payments.models import StellarAccount
from provisioning.models import CustomerAuthorization, PmnlAccount
from sims.models import OnenceAccount

pytestmark = BROWSER_MARKS


def fill(browser, values: dict) -> None:
    from selenium.webdriver.common.by import By

    for name, value in values.items():
        field = browser.find_element(By.NAME, name)
        field.clear()
        field.send_keys(value)


def save(browser) -> None:
    from selenium.webdriver.common.by import By

    submit(browser, browser.find_element(By.CSS_SELECTOR, "input[name=_save]"))


@pytest.fixture
def north(no_rate_limit):
    return OrganizationFactory(slug="north", name="North")


def test_an_organization_admin_connects_its_accounts_and_grants_customers(
    browser, live_server, north
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    admin_user = UserFactory(organization=north, role=Role.ADMIN, is_staff=True)
    engineer = UserFactory(organization=north, role=Role.OPERATOR, is_staff=True)
    log_in(browser, live_server, admin_user)
    navigation = browser.find_element(By.ID, "nav-sidebar").text
    for page in ("1NCE accounts", "PMNL accounts", "Stellar accounts", "Customer authorizations"):
        assert page in navigation, navigation

    onence_secret, pmnl_secret, api_key = "1nce-north-s3cret", "pmnl-north-s3cret", "north-key"
    pool = Keypair.random()
    open_page(browser, live_server, reverse("admin:sims_onenceaccount_add"))
    assert not browser.find_elements(By.NAME, "organization")  # always their own
    fill(browser, {"client_id": "north-ops", "client_secret": onence_secret})
    shoot(browser, "accounts-01-connect-1nce")
    save(browser)
    assert any("was added successfully" in m for m in messages_shown(browser))
    open_page(browser, live_server, reverse("admin:provisioning_pmnlaccount_add"))
    fill(
        browser,
        {
            "base_url": "https://pmnl.example",
            "client_id": "north-pmnl",
            "client_secret": pmnl_secret,
            "api_key": api_key,
        },
    )
    save(browser)
    open_page(browser, live_server, reverse("admin:payments_stellaraccount_add"))
    fill(browser, {"pool_secret": pool.secret})
    save(browser)
    stellar = StellarAccount.objects.get(organization=north)
    assert stellar.pool_public_key == pool.public_key and stellar.pool_secret == pool.secret
    assert OnenceAccount.objects.get(organization=north).client_secret == onence_secret
    assert PmnlAccount.objects.get(organization=north).api_key == api_key

    # The account's page: its public parts, no secret (not even in the form's fields).
    open_page(
        browser, live_server, reverse("admin:payments_stellaraccount_change", args=[stellar.pk])
    )
    assert pool.public_key in browser.find_element(By.ID, "content").text
    for secret in (onence_secret, pmnl_secret, api_key, pool.secret):
        assert secret not in browser.page_source
    shoot(browser, "accounts-02-stellar-account")

    # A customer id for the engineer, granted through the service.
    open_page(browser, live_server, reverse("admin:provisioning_customerauthorization_add"))
    users = Select(browser.find_element(By.NAME, "user"))
    assert {o.text for o in users.options if o.get_attribute("value")} == {
        str(admin_user),
        str(engineer),
    }
    users.select_by_visible_text(str(engineer))
    fill(browser, {"cust_id": "9000009"})
    save(browser)
    granted = CustomerAuthorization.objects.get(user=engineer)
    assert granted.granted_by == admin_user
    assert "9000009" in browser.find_element(By.ID, "result_list").text
    shoot(browser, "accounts-03-customer-authorizations")

    # An admin of another organization: none of it.
    log_in_outsider(browser, live_server, role=Role.ADMIN)
    for model, secret in (
        (OnenceAccount, "north-ops"),
        (PmnlAccount, "north-pmnl"),
        (StellarAccount, pool.public_key),
    ):
        meta = model._meta
        account = model.objects.get(organization=north)
        assert_hidden(
            browser,
            live_server,
            changelist=reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"),
            change=reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[account.pk]),
            secret=secret,
            shot=f"accounts-04-other-organization-{meta.model_name}",
        )
    assert_hidden(
        browser,
        live_server,
        changelist=reverse("admin:provisioning_customerauthorization_changelist"),
        change=reverse("admin:provisioning_customerauthorization_change", args=[granted.pk]),
        secret="9000009",
        shot="accounts-05-other-organization-authorization",
    )
