"""Console: payment pages with explorer links and the attested result, write-only Stellar keys,
the dashboard panel, and the follow-up schedule."""

from decimal import Decimal

import pytest
from django.test import Client
from stellar_sdk import Keypair

from accounts.models import Role
from core.dashboard import DashboardScope, registered_panels
from core.schedules import declared_schedules
from payments.admin import StellarAccountForm
from payments.models import Attestation, LedgerStatus, StellarAccount
from payments.tests.factories import PaymentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(make_user):
    client = Client()
    client.force_login(make_user(Role.ADMIN, is_staff=True, is_superuser=True))
    return client


def test_payment_list_and_page_show_status_explorer_link_and_attested_result(
    admin_client, organization
):
    attestation = Attestation.objects.create(
        organization=organization,
        source_role="pool",
        from_address=Keypair.random().public_key,
        memo="ab" * 32,
        subject="sla:OUT001:3",
        document={"outage_id": "OUT001", "mttr_minutes": 12},
        status=LedgerStatus.CONFIRMED,
        transaction_hash="cd" * 32,
    )
    payment = PaymentFactory(organization=organization, attestation=attestation)

    listing = admin_client.get("/admin/payments/payment/")
    assert listing.status_code == 200
    assert f"https://stellar.expert/explorer/testnet/tx/{payment.transaction_hash}" in (
        listing.content.decode()
    )
    page = admin_client.get(f"/admin/payments/payment/{payment.pk}/change/").content.decode()
    assert "sla:OUT001:3" in page and "mttr_minutes" in page and "cd" * 32 in page


def test_the_stellar_account_form_keeps_secrets_write_only(admin_client, organization):
    pool = Keypair.random()
    form = StellarAccountForm(
        data={"organization": organization.pk, "pool_secret": pool.secret, "is_active": True}
    )
    assert form.is_valid(), form.errors
    # The public key is derived; the secret is the service's to store (never the form's).
    assert form.account_values()["pool_public_key"] == pool.public_key
    assert form.secret_values() == {"pool_secret": pool.secret, "operator_secret": ""}
    response = admin_client.post(
        "/admin/payments/stellaraccount/add/",
        {"organization": organization.pk, "pool_secret": pool.secret, "is_active": "on"},
    )
    assert response.status_code == 302
    account = StellarAccount.objects.get()
    assert (account.pool_public_key, account.pool_secret) == (pool.public_key, pool.secret)
    page = admin_client.get(f"/admin/payments/stellaraccount/{account.pk}/change/")
    assert page.status_code == 200
    assert pool.secret not in page.content.decode()
    assert pool.public_key in page.content.decode()
    # Left blank on edit, the stored secret stays.
    edit = StellarAccountForm(
        data={"organization": organization.pk, "pool_secret": "", "is_active": True},
        instance=account,
    )
    assert edit.is_valid(), edit.errors
    assert "pool_public_key" not in edit.account_values()
    bad = StellarAccountForm(data={"organization": organization.pk, "pool_secret": "SNOPE"})
    assert not bad.is_valid()


def test_the_dashboard_panel_counts_this_months_money_of_the_viewers_organization(
    organization, other_organization, make_user
):
    PaymentFactory(organization=organization, payment_type="reward", amount=Decimal("150"))
    PaymentFactory(organization=organization, payment_type="penalty", amount=Decimal("50"))
    PaymentFactory(organization=organization, status=LedgerStatus.FAILED, error_code="X")
    PaymentFactory(organization=other_organization, payment_type="reward", amount=Decimal("999"))
    panel = next(p for p in registered_panels() if p.key == "payments.month")

    content = panel.build(DashboardScope(user=make_user(), organization_ids=[organization.pk]))

    stats = {stat.label: stat.value for stat in content.stats}
    assert stats["Payouts (rewards)"] == "150.00 USDC"
    assert stats["Penalties"] == "50.00 USDC"
    assert stats["Net"] == "100.00 USDC"
    assert stats["Failed"] == 1
    assert len(content.table.rows) == 1


def test_the_follow_up_runs_every_minute():
    schedule = next(s for s in declared_schedules() if s.name == "follow-payments")
    assert schedule.task == "payments.tasks.follow_payments"
    assert schedule.every_seconds == 60 and schedule.expires_seconds < 60
