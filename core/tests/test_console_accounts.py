"""An organization's upstream accounts (1NCE, PMNL, Stellar) and customer authorizations in the
console: its admins connect and change them through the services (secrets encrypted, never
shown back, audited); its other members do not see them; another organization's admin finds
none of them; a superuser sees every organization's."""

from dataclasses import dataclass

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from stellar_sdk import Keypair

from accounts.models import AuditLog, Role
from accounts.tests.factories import OrganizationFactory, UserFactory
from core.context import Context
from core.errors import Conflict, PermissionDenied
from payments.models import StellarAccount
from payments.services.accounts import STELLAR_ACCOUNTS
from provisioning.clients import PMNL_ACCOUNTS
from provisioning.models import CustomerAuthorization, PmnlAccount
from sims.accounts import ONENCE_ACCOUNTS
from sims.models import OnenceAccount

pytestmark = pytest.mark.django_db


@dataclass
class Upstream:
    model: type
    accounts: object
    secrets: tuple[str, ...]
    shown: str  # a plain field shown on the account's page

    def form(self, **secrets) -> dict:
        data = {"is_active": "on", **secrets}
        if self.model is OnenceAccount:
            data.update(base_url="https://onence.example", client_id="north-1nce")
        elif self.model is PmnlAccount:
            data.update(
                base_url="https://pmnl.example",
                token_url="https://pmnl.example/oauth2/token",
                client_id="north-pmnl",
            )
        return data

    def new_secrets(self) -> dict:
        if self.model is StellarAccount:
            return {"pool_secret": Keypair.random().secret}
        return {name: f"{name}-{Keypair.random().public_key[:12]}" for name in self.secrets}

    def url(self, page: str, *args) -> str:
        meta = self.model._meta
        return reverse(f"admin:{meta.app_label}_{meta.model_name}_{page}", args=args)

    def stored(self, account, name: str) -> str:
        """The column as PostgreSQL holds it."""
        with connection.cursor() as cursor:
            table = self.model._meta.db_table
            cursor.execute(f"SELECT {name} FROM {table} WHERE id = %s", [account.pk])  # noqa: S608
            return cursor.fetchone()[0]

    def create(self, organization):
        """An account made directly (another organization's, as a fixture)."""
        secrets = self.new_secrets()
        values = {k: v for k, v in self.form().items() if k != "is_active"}
        if self.model is StellarAccount:
            values["pool_public_key"] = Keypair.from_secret(secrets["pool_secret"]).public_key
        return self.model.objects.create(organization=organization, **values, **secrets)


UPSTREAMS = [
    Upstream(OnenceAccount, ONENCE_ACCOUNTS, ("client_secret",), "north-1nce"),
    Upstream(PmnlAccount, PMNL_ACCOUNTS, ("client_secret", "api_key"), "north-pmnl"),
    Upstream(StellarAccount, STELLAR_ACCOUNTS, ("pool_secret", "operator_secret"), "pool"),
]


@pytest.fixture(params=UPSTREAMS, ids=lambda u: u.model._meta.model_name)
def upstream(request):
    return request.param


@pytest.fixture
def north():
    return OrganizationFactory(slug="north")


@pytest.fixture
def south():
    return OrganizationFactory(slug="south")


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def staff(organization, role=Role.ADMIN):
    return UserFactory(organization=organization, role=role, is_staff=True)


def test_an_organization_admin_connects_its_account_with_secrets_encrypted_and_audited(
    upstream, north
):
    admin_user = staff(north)
    client = logged_in(admin_user)
    page = client.get(upstream.url("add"))
    assert page.status_code == 200
    assert "organization" not in page.context["adminform"].form.fields  # always theirs
    secrets = upstream.new_secrets()

    response = client.post(upstream.url("add"), upstream.form(**secrets))

    assert response.status_code == 302, page.context["adminform"].form.errors
    account = upstream.model.objects.get()
    assert account.organization == north and account.is_active
    assert upstream.accounts.is_connected(north)
    for name, secret in secrets.items():
        assert getattr(account, name) == secret
        assert secret not in upstream.stored(account, name)  # encrypted at rest
    audit = AuditLog.objects.get(operation="CONNECT_ACCOUNT")
    assert audit.user == admin_user and audit.organization == north
    assert audit.request_body["secrets_replaced"] == sorted(secrets)
    assert not any(secret in str(audit.request_body) for secret in secrets.values())

    shown = client.get(upstream.url("change", account.pk)).content.decode()
    listing = client.get(upstream.url("changelist")).content.decode()
    for secret in secrets.values():
        assert secret not in shown and secret not in listing
    assert upstream.shown in shown.lower() or upstream.shown in shown


def test_a_blank_secret_keeps_the_stored_one_and_a_new_one_replaces_it(upstream, north):
    account = upstream.create(north)
    kept = {name: getattr(account, name) for name in upstream.secrets}
    client = logged_in(staff(north))
    data = upstream.form(**dict.fromkeys(upstream.secrets, ""))
    data.pop("is_active")  # unticked: disconnects

    response = client.post(upstream.url("change", account.pk), data)

    assert response.status_code == 302
    account.refresh_from_db()
    assert not account.is_active and not upstream.accounts.is_connected(north)
    assert {name: getattr(account, name) for name in upstream.secrets} == kept
    audit = AuditLog.objects.get(operation="UPDATE_ACCOUNT")
    assert audit.request_body["secrets_replaced"] == []
    assert audit.request_body["values"] == {"is_active": "False"}

    replaced = upstream.new_secrets()
    client.post(upstream.url("change", account.pk), upstream.form(**replaced))
    account.refresh_from_db()
    for name, secret in replaced.items():
        assert getattr(account, name) == secret


def test_a_second_account_for_the_organization_is_refused(upstream, north):
    upstream.create(north)
    client = logged_in(staff(north))

    response = client.post(
        upstream.url("add"), upstream.form(**upstream.new_secrets()), follow=True
    )

    assert upstream.model.objects.count() == 1
    shown = [str(m) for m in response.context["messages"]]
    assert any("already has" in m for m in shown), shown
    assert not AuditLog.objects.filter(operation="CONNECT_ACCOUNT").exists()


def test_other_members_of_the_organization_do_not_see_its_accounts(upstream, north):
    account = upstream.create(north)
    for role in (Role.OPERATOR, Role.VIEWER):
        client = logged_in(staff(north, role))
        assert client.get(upstream.url("changelist")).status_code == 403
        assert client.get(upstream.url("add")).status_code == 403
        assert client.get(upstream.url("change", account.pk)).status_code == 403
        names = {
            model["object_name"]
            for app in client.get(reverse("admin:index")).context["available_apps"]
            for model in app["models"]
        }
        assert upstream.model.__name__ not in names


def test_an_admin_of_another_organization_finds_none_of_its_accounts(upstream, north, south):
    account = upstream.create(north)
    before = {name: getattr(account, name) for name in upstream.secrets}
    outsider = logged_in(staff(south))

    listing = outsider.get(upstream.url("changelist"))
    assert listing.status_code == 200
    assert list(listing.context["cl"].result_list) == []
    response = outsider.get(upstream.url("change", account.pk))
    assert response.status_code == 302 and response.url == reverse("admin:index")
    outsider.post(upstream.url("change", account.pk), upstream.form(**upstream.new_secrets()))
    account.refresh_from_db()
    assert {name: getattr(account, name) for name in upstream.secrets} == before
    # Their own connection is their organization's, whatever the form is sent.
    outsider.post(
        upstream.url("add"), {**upstream.form(**upstream.new_secrets()), "organization": north.pk}
    )
    assert upstream.model.objects.get(organization=south)
    assert upstream.model.objects.filter(organization=north).count() == 1


def test_a_superuser_sees_every_organization_and_connects_any(upstream, north, south):
    upstream.create(north)
    root = logged_in(UserFactory(organization=None, is_staff=True, is_superuser=True))
    response = root.post(
        upstream.url("add"), {**upstream.form(**upstream.new_secrets()), "organization": south.pk}
    )
    assert response.status_code == 302
    listing = root.get(upstream.url("changelist"))
    assert {a.organization for a in listing.context["cl"].result_list} == {north, south}
    assert AuditLog.objects.get(operation="CONNECT_ACCOUNT").organization == south


def test_the_service_refuses_anyone_but_the_organizations_admins(upstream, north, south):
    account = upstream.create(north)
    for actor in (staff(north, Role.OPERATOR), staff(south)):
        with pytest.raises(PermissionDenied):
            upstream.accounts.save_account(
                account=account,
                values={"is_active": False},
                secrets={},
                context=Context(actor=actor, via="test"),
            )
    account.refresh_from_db()
    assert account.is_active
    with pytest.raises(Conflict):
        upstream.accounts.save_account(
            account=upstream.model(organization=north),
            values={},
            secrets=upstream.new_secrets(),
            context=Context.system(),
        )


# --- customer authorizations ------------------------------------------------------------------


AUTHORIZATIONS = reverse("admin:provisioning_customerauthorization_changelist")
GRANT = reverse("admin:provisioning_customerauthorization_add")


def test_an_organization_admin_grants_and_revokes_customers_of_its_own_users(north, south):
    admin_user, member = staff(north), staff(north, Role.OPERATOR)
    theirs = staff(south, Role.OPERATOR)
    client = logged_in(admin_user)
    users = client.get(GRANT).context["adminform"].form.fields["user"].queryset
    assert set(users) == {admin_user, member}

    assert client.post(GRANT, {"user": member.pk, "cust_id": "9000009"}).status_code == 302
    granted = CustomerAuthorization.objects.get(user=member)
    assert granted.organization == north and granted.granted_by == admin_user
    assert AuditLog.objects.get(operation="GRANT_CUSTOMER").user == admin_user
    # Another organization's user is not a choice.
    response = client.post(GRANT, {"user": theirs.pk, "cust_id": "9000009"})
    assert response.status_code == 200 and "user" in response.context["adminform"].form.errors
    assert not CustomerAuthorization.objects.filter(user=theirs).exists()

    response = client.post(
        AUTHORIZATIONS, {"action": "revoke_selected", "_selected_action": [granted.pk]}
    )
    assert response.status_code == 302
    assert not CustomerAuthorization.objects.exists()
    assert AuditLog.objects.get(operation="REVOKE_CUSTOMER").user == admin_user


def test_an_operator_sees_the_authorizations_but_neither_grants_nor_revokes(north):
    member = staff(north, Role.OPERATOR)
    granted = CustomerAuthorization.objects.create(
        user=member, cust_id="9000009", organization=north
    )
    client = logged_in(member)
    listing = client.get(AUTHORIZATIONS)
    assert [a.pk for a in listing.context["cl"].result_list] == [granted.pk]
    assert "revoke_selected" not in listing.context["cl"].model_admin.get_actions(
        listing.wsgi_request
    )
    assert client.get(GRANT).status_code == 403
    client.post(AUTHORIZATIONS, {"action": "revoke_selected", "_selected_action": [granted.pk]})
    assert CustomerAuthorization.objects.filter(pk=granted.pk).exists()


def test_an_admin_of_another_organization_neither_sees_nor_revokes_them(north, south):
    granted = CustomerAuthorization.objects.create(
        user=staff(north, Role.OPERATOR), cust_id="9000009", organization=north
    )
    outsider = logged_in(staff(south))
    listing = outsider.get(AUTHORIZATIONS)
    assert list(listing.context["cl"].result_list) == []
    assert "9000009" not in listing.content.decode()
    page = outsider.get(
        reverse("admin:provisioning_customerauthorization_change", args=[granted.pk])
    )
    assert page.status_code == 302
    outsider.post(AUTHORIZATIONS, {"action": "revoke_selected", "_selected_action": [granted.pk]})
    assert CustomerAuthorization.objects.filter(pk=granted.pk).exists()
    assert not AuditLog.objects.filter(operation="REVOKE_CUSTOMER").exists()


def test_an_api_key_added_in_the_console_is_issued_by_the_service_and_shown_once(north, settings):
    from accounts.models import APIKey

    settings.API_KEY_MAX_PER_USER = 1
    owner = staff(north, Role.OPERATOR)
    root = logged_in(UserFactory(organization=None, is_staff=True, is_superuser=True))
    url = reverse("admin:accounts_apikey_add")
    response = root.post(url, {"name": "console key", "user": owner.pk}, follow=True)
    key = APIKey.objects.get(user=owner)
    shown = " ".join(str(m) for m in response.context["messages"])
    assert f"sk_live_{key.prefix}." in shown
    assert AuditLog.objects.get(operation="CREATE", resource_type="api_key").user == owner
    # The service's cap holds at this door too.
    response = root.post(url, {"name": "one too many", "user": owner.pk}, follow=True)
    assert APIKey.objects.filter(user=owner).count() == 1
    assert any("most allowed" in str(m) for m in response.context["messages"])


def test_a_user_added_in_the_console_is_created_by_the_service(north):
    from accounts.models import User

    root = logged_in(UserFactory(organization=None, is_staff=True, is_superuser=True))
    url = reverse("admin:accounts_user_add")
    form = {
        "username": "newcomer",
        "password1": "a-long-enough-passphrase-42",
        "password2": "a-long-enough-passphrase-42",
        "usable_password": "true",
        "email": "newcomer@example.com",
        "organization": north.pk,
        "role": Role.OPERATOR,
    }
    response = root.post(url, form)
    assert response.status_code == 302
    user = User.objects.get(username="newcomer")
    assert (user.organization, user.role) == (north, Role.OPERATOR)
    assert user.check_password(form["password1"])
    entry = AuditLog.objects.get(operation="CREATE", resource_type="user")
    assert form["password1"] not in str(entry.request_body)
    # A taken e-mail address is refused (by the form or the service), said, and not saved.
    response = root.post(url, {**form, "username": "second"}, follow=True)
    assert not User.objects.filter(username="second").exists()
    errors = response.context["adminform"].form.errors
    assert errors, response.content.decode()[-3000:]
