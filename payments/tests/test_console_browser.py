"""The payments console in headless Chromium (``core.tests.browser``): payments settled on the
Horizon simulator, listed and shown with their status, explorer link and attested SLA result;
wallets; the dashboard's payments panel; another organization's staff see none of it."""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from core.tests.browser import (
    BROWSER_MARKS,
    assert_hidden,
    chart_points,
    log_in,
    log_in_outsider,
    open_page,
    shoot,
)
from payments.models import LedgerStatus
from payments.services import SlaResult, create_wallet, settle_sla_result
from payments.tests.factories import PaymentFactory, WalletFactory

pytestmark = BROWSER_MARKS

EXPLORER = "https://stellar.expert/explorer/testnet/tx/"


def sla_result(organization, noc_wallet, outage_id, payment_type, amount) -> SlaResult:
    return SlaResult(
        outage_id=outage_id,
        organization=organization,
        payment_type=payment_type,
        amount=Decimal(amount),
        config_version="3",
        document={
            "outage_id": outage_id,
            "status": "met" if payment_type == "reward" else "violated",
            "mttr_minutes": 12 if payment_type == "reward" else 41,
            "threshold_minutes": 15,
            "amount": f"{Decimal(amount):.7f}",
            "payment_type": payment_type,
            "config_version": "3",
        },
        noc_wallet=noc_wallet,
    )


@pytest.fixture
def settled(
    organization, other_organization, network, noc_wallet, console_operator, system_context
):
    """This month on the simulator: a reward paid to the NOC's wallet and a penalty paid to
    the pool, both attested; one failed payment; the operator's wallet. Another organization
    has a payment and a wallet of its own."""
    reward = settle_sla_result(
        result=sla_result(organization, noc_wallet, "OUT101", "reward", "1500"),
        context=system_context,
    )
    penalty = settle_sla_result(
        result=sla_result(organization, noc_wallet, "OUT102", "penalty", "250"),
        context=system_context,
    )
    failed = PaymentFactory(
        organization=organization,
        amount=Decimal("75"),
        status=LedgerStatus.FAILED,
        error_code="op_underfunded",
        transaction_hash="",
        outage_ref="OUT103",
    )
    wallet = create_wallet(user=console_operator, public_key=noc_wallet, context=system_context)
    theirs = PaymentFactory(organization=other_organization, outage_ref="THEIRS901")
    their_wallet = WalletFactory(user=UserFactory(organization=other_organization))
    assert reward.payment.status == penalty.payment.status == LedgerStatus.CONFIRMED
    return {
        "reward": reward,
        "penalty": penalty,
        "failed": failed,
        "wallet": wallet,
        "theirs": theirs,
        "their_wallet": their_wallet,
    }


def test_an_operator_reads_payments_wallets_and_the_panel(
    browser, live_server, settled, console_operator
):
    from selenium.webdriver.common.by import By

    reward, penalty = settled["reward"], settled["penalty"]
    log_in(browser, live_server, console_operator)

    # The dashboard's panel: payouts, penalties and the failed payment, with the chart drawn.
    panel = browser.find_element(By.CSS_SELECTOR, '[data-panel="payments.month"]')
    stats = {
        stat.find_element(By.CSS_SELECTOR, ".label").text: stat.find_element(
            By.CSS_SELECTOR, ".value"
        ).text
        for stat in panel.find_elements(By.CSS_SELECTOR, ".console-stat")
    }
    labels = {label.lower(): value for label, value in stats.items()}
    assert labels["payouts (rewards)"] == "1,500.00 USDC"
    assert labels["penalties"] == "250.00 USDC"
    assert labels["net"] == "1,250.00 USDC"
    assert labels["failed"] == "1"
    assert "op_underfunded" in panel.text and "75.00 USDC" in panel.text
    assert chart_points(browser)["panel-payments-month-data"] == [1, 1]
    shoot(browser, "payments-01-dashboard")

    # The list: every payment of the organization, amounts with their asset, explorer links.
    open_page(browser, live_server, reverse("admin:payments_payment_changelist"))
    rows = browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")
    assert len(rows) == 3
    text = browser.find_element(By.ID, "result_list").text
    assert "1,500.00 USDC" in text and "250.00 USDC" in text and "75.00 USDC" in text
    assert "OUT101" in text and "OUT102" in text and "Failed" in text
    links = {
        a.get_attribute("href")
        for a in browser.find_elements(By.CSS_SELECTOR, f'#result_list a[href^="{EXPLORER}"]')
    }
    assert links == {
        EXPLORER + reward.payment.transaction_hash,
        EXPLORER + penalty.payment.transaction_hash,
    }
    assert settled["theirs"].outage_ref not in browser.page_source
    # The pages are in the operator's navigation (not in the superusers' "System" group).
    nav = browser.find_element(By.ID, "nav-sidebar")
    assert nav.find_element(By.CSS_SELECTOR, 'a[href$="/payments/wallet/"]')
    shoot(browser, "payments-02-list")

    # The reward's page: status, explorer link, the attested SLA result and its hash.
    open_page(
        browser, live_server, reverse("admin:payments_payment_change", args=[reward.payment.pk])
    )
    page = browser.find_element(By.ID, "content").text
    assert "Confirmed" in page and "1,500.00 USDC" in page
    assert reward.attestation.subject in page  # sla:OUT101:3
    assert reward.attestation.memo in page  # the document's digest, as on the ledger
    assert '"mttr_minutes": 12' in page
    hrefs = {
        a.get_attribute("href")
        for a in browser.find_elements(By.CSS_SELECTOR, f'#content a[href^="{EXPLORER}"]')
    }
    assert EXPLORER + reward.payment.transaction_hash in hrefs
    assert EXPLORER + reward.attestation.transaction_hash in hrefs
    assert not browser.find_elements(By.CSS_SELECTOR, "#content input[name=amount]")
    shoot(browser, "payments-03-payment-page")

    # The wallets: the operator's, not the other organization's.
    open_page(browser, live_server, reverse("admin:payments_wallet_changelist"))
    text = browser.find_element(By.ID, "result_list").text
    assert settled["wallet"].public_key in text and console_operator.username in text
    assert settled["their_wallet"].public_key not in browser.page_source
    shoot(browser, "payments-04-wallets")


def test_the_stellar_accounts_page_is_not_an_operators_and_shows_no_secret(
    browser, live_server, settled, console_operator
):
    from django.conf import settings
    from selenium.webdriver.common.by import By
    from stellar_sdk import Keypair

    from payments.models import StellarAccount

    account = StellarAccount.objects.create(
        organization=console_operator.organization,
        pool_secret=settings.STELLAR_POOL_SECRET,
        pool_public_key=Keypair.from_secret(settings.STELLAR_POOL_SECRET).public_key,
    )
    superuser = UserFactory(organization=None, is_staff=True, is_superuser=True)
    log_in(browser, live_server, superuser)
    open_page(
        browser, live_server, reverse("admin:payments_stellaraccount_change", args=[account.pk])
    )
    assert account.pool_public_key in browser.find_element(By.ID, "content").text
    assert settings.STELLAR_POOL_SECRET not in browser.page_source
    shoot(browser, "payments-05-stellar-account")

    # Every organization's payments for the superuser, theirs included.
    open_page(browser, live_server, reverse("admin:payments_payment_changelist"))
    assert len(browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")) == 4

    # An organization's operator is refused the page (its admins' and superusers' only:
    # core.tests.test_console_accounts_browser).
    log_in(browser, live_server, console_operator)
    browser.get(f"{live_server.url}{reverse('admin:payments_stellaraccount_changelist')}")
    assert "403" in browser.find_element(By.TAG_NAME, "h1").text
    assert account.pool_public_key not in browser.page_source


def test_a_staff_user_of_another_organization_sees_no_payment(browser, live_server, settled):
    from selenium.webdriver.common.by import By

    log_in_outsider(browser, live_server)
    panel = browser.find_element(By.CSS_SELECTOR, '[data-panel="payments.month"]')
    assert "1,500.00" not in panel.text and "op_underfunded" not in panel.text
    shoot(browser, "payments-06-other-organization-dashboard")

    reward = settled["reward"].payment
    assert_hidden(
        browser,
        live_server,
        changelist=reverse("admin:payments_payment_changelist"),
        change=reverse("admin:payments_payment_change", args=[reward.pk]),
        secret=reward.transaction_hash,
        shot="payments-07-other-organization-payment",
    )
    assert_hidden(
        browser,
        live_server,
        changelist=reverse("admin:payments_wallet_changelist"),
        change=reverse("admin:payments_wallet_change", args=[settled["wallet"].pk]),
        secret=settled["wallet"].public_key,
        shot="payments-08-other-organization-wallet",
    )
