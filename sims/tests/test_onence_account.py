import pytest
from django.db import connection
from django.urls import reverse

from accounts.models import Role
from core.exceptions import UpstreamNotConnected
from sims.models import OnenceAccount
from sims.services import onence_client_for, onence_credentials_for
from upstream.onence import OnenceClient, OnenceCredentials


@pytest.fixture
def account(organization):
    return OnenceAccount.objects.create(
        organization=organization,
        base_url="https://api.example.test/management-api",
        client_id="org-client",
        client_secret="org-secret-value",
    )


@pytest.mark.django_db
def test_secret_is_stored_encrypted_and_read_back_in_clear(account):
    with connection.cursor() as cursor:
        cursor.execute("SELECT client_secret FROM sims_onenceaccount WHERE id = %s", [account.pk])
        stored = cursor.fetchone()[0]
    assert "org-secret-value" not in stored
    assert OnenceAccount.objects.get(pk=account.pk).client_secret == "org-secret-value"


@pytest.mark.django_db
def test_active_account_gives_the_organizations_credentials(account, organization):
    credentials = onence_credentials_for(organization=organization)
    assert credentials == OnenceCredentials(
        base_url="https://api.example.test/management-api",
        client_id="org-client",
        client_secret="org-secret-value",
    )
    assert "org-secret-value" not in repr(credentials)


@pytest.mark.django_db
def test_only_the_named_organization_gets_the_default_account(
    account, organization, other_organization, settings
):
    settings.ONENCE_DEFAULT_ORGANIZATION = other_organization.slug
    assert (
        onence_credentials_for(organization=other_organization) == OnenceCredentials.from_settings()
    )
    account.is_active = False
    account.save()
    with pytest.raises(UpstreamNotConnected) as refused:
        onence_credentials_for(organization=organization)
    assert refused.value.details == {"upstream": "1nce", "organization": organization.slug}
    with pytest.raises(UpstreamNotConnected):
        onence_credentials_for(organization=None)


@pytest.mark.django_db
def test_default_account_without_credentials_connects_nobody(other_organization, settings):
    settings.ONENCE_DEFAULT_ORGANIZATION = other_organization.slug
    settings.ONENCE_CLIENT_SECRET = ""
    with pytest.raises(UpstreamNotConnected):
        onence_client_for(organization=other_organization)


@pytest.mark.django_db
def test_client_is_reused_per_account_and_renewed_when_the_secret_changes(account, organization):
    client = onence_client_for(organization=organization)
    assert isinstance(client, OnenceClient)
    assert onence_client_for(organization=organization) is client
    account.client_secret = "rotated-secret"
    account.save()
    renewed = onence_client_for(organization=organization)
    assert renewed is not client
    assert renewed.credentials.client_secret == "rotated-secret"
    assert "rotated-secret" not in repr(renewed)


@pytest.mark.django_db
def test_admin_never_shows_the_secret_and_blank_keeps_it(client, make_user, account):
    admin_user = make_user(role=Role.ADMIN, is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    url = reverse("admin:sims_onenceaccount_change", args=[account.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert b"org-secret-value" not in page.content
    assert b"org-client" in page.content

    response = client.post(
        url,
        {
            "organization": account.organization_id,
            "base_url": account.base_url,
            "client_id": "renamed-client",
            "client_secret": "",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.client_id == "renamed-client"
    assert account.client_secret == "org-secret-value"
    listing = client.get(reverse("admin:sims_onenceaccount_changelist"))
    assert b"org-secret-value" not in listing.content
