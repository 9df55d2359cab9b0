"""Every write on the console's Access pages (organizations, users, API keys) goes through an
``accounts.services`` function and leaves exactly one audit entry naming the console user; a
change form offers only what its user may change (no owner, expiry or read-only flag of an
issued key; an organization's admin changes their own users' role and active flag only)."""

import pytest
from django import forms
from django.test import Client
from django.urls import reverse

from accounts.models import APIKey, AuditLog, Organization, Role, User
from accounts.services import find_api_key, issue_api_key, update_user
from accounts.tests.factories import UserFactory
from core.context import Context
from core.errors import PermissionDenied

pytestmark = pytest.mark.django_db


@pytest.fixture
def root():
    return UserFactory(organization=None, is_staff=True, is_superuser=True)


def console(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(model, page: str, *args) -> str:
    return reverse(f"admin:accounts_{model._meta.model_name}_{page}", args=args)


def change_form(client, row):
    page = client.get(url(type(row), "change", row.pk))
    assert page.status_code == 200
    return page.context["adminform"].form


def editable(form) -> set[str]:
    return {name for name, field in form.fields.items() if not field.disabled}


def posted(form, **changes) -> dict:
    """The form as the browser sends it, with ``changes`` (True/False tick or untick a box)."""
    data = {}
    for name, field in form.fields.items():
        if field.disabled:
            continue
        value = form[name].value()
        if isinstance(field, forms.BooleanField):
            if value:
                data[name] = "on"
        elif value is not None:
            data[name] = value
    for name, value in changes.items():
        if value is False:
            data.pop(name, None)
        else:
            data[name] = "on" if value is True else value
    return data


class AuditCount:
    """The audit entries written since it was made."""

    def __init__(self):
        self.before = set(AuditLog.objects.values_list("pk", flat=True))

    def new(self) -> list[AuditLog]:
        return list(AuditLog.objects.exclude(pk__in=self.before).order_by("pk"))


# --- API keys ---------------------------------------------------------------------------------


def test_an_issued_keys_change_form_renames_it_through_the_service_and_nothing_else(
    organization, other_organization, root
):
    owner = UserFactory(organization=organization, role=Role.OPERATOR)
    key, _ = issue_api_key(user=owner, name="before", context=Context.system())
    client = console(root)
    form = change_form(client, key)
    assert editable(form) == {"name"}
    audit = AuditCount()

    response = client.post(
        url(APIKey, "change", key.pk),
        posted(
            form,
            name="after",
            user=UserFactory(organization=other_organization).pk,  # not a field: ignored
            read_only=True,
            expiry_date="2030-01-01 00:00:00",
        ),
    )

    assert response.status_code == 302
    key.refresh_from_db()
    assert (key.name, key.user, key.read_only, key.expiry_date) == ("after", owner, False, None)
    [entry] = audit.new()
    assert (entry.operation, entry.resource_type, entry.resource_id) == (
        "UPDATE",
        "api_key",
        key.prefix,
    )
    assert entry.user == root and entry.organization == organization
    assert entry.request_body == {"before": {"name": "before"}, "after": {"name": "after"}}


def test_a_revoked_key_is_not_edited_and_no_key_is_deleted_from_the_console(organization, root):
    key, _ = issue_api_key(user=UserFactory(organization=organization), name="gone")
    APIKey.objects.filter(pk=key.pk).update(revoked=True)
    client = console(root)
    assert editable(change_form(client, key)) == set()
    audit = AuditCount()

    client.post(url(APIKey, "change", key.pk), {"name": "renamed"})

    key.refresh_from_db()
    assert key.name == "gone" and audit.new() == []
    assert client.get(url(APIKey, "delete", key.pk)).status_code == 403


def test_revoking_from_the_console_stops_a_cached_key_at_once_and_is_audited(organization, root):
    key, raw = issue_api_key(user=UserFactory(organization=organization), name="live")
    assert find_api_key(raw) is not None  # now cached
    audit = AuditCount()

    response = console(root).post(
        url(APIKey, "changelist"), {"action": "revoke_selected", "_selected_action": [key.pk]}
    )

    assert response.status_code == 302
    assert find_api_key(raw) is None
    [entry] = audit.new()
    assert (entry.operation, entry.user) == ("REVOKE", root)


# --- organizations ----------------------------------------------------------------------------


def test_a_superuser_adds_and_changes_an_organization_through_the_services(root):
    client = console(root)
    audit = AuditCount()
    response = client.post(
        url(Organization, "add"), {"name": "Acme", "slug": "acme", "is_active": "on"}
    )
    assert response.status_code == 302
    acme = Organization.objects.get(slug="acme")
    [created] = audit.new()
    assert (created.operation, created.resource_type, created.user) == (
        "CREATE",
        "organization",
        root,
    )

    audit = AuditCount()
    form = change_form(client, acme)
    response = client.post(
        url(Organization, "change", acme.pk), posted(form, name="Acme GmbH", is_active=False)
    )

    assert response.status_code == 302
    acme.refresh_from_db()
    assert (acme.name, acme.slug, acme.is_active) == ("Acme GmbH", "acme", False)
    [changed] = audit.new()
    assert (changed.operation, changed.user, changed.organization) == ("UPDATE", root, acme)
    assert changed.request_body == {
        "before": {"name": "Acme", "is_active": True},
        "after": {"name": "Acme GmbH", "is_active": False},
    }
    assert client.get(url(Organization, "delete", acme.pk)).status_code == 403


def test_an_organization_admin_does_not_change_their_organization_in_the_console(organization):
    client = console(UserFactory(organization=organization, role=Role.ADMIN, is_staff=True))
    audit = AuditCount()

    response = client.post(
        url(Organization, "change", organization.pk), {"name": "Renamed", "slug": "elsewhere"}
    )

    assert response.status_code == 403
    organization.refresh_from_db()
    assert (organization.name, organization.slug) != ("Renamed", "elsewhere") and audit.new() == []


# --- users ------------------------------------------------------------------------------------


def test_a_superusers_user_change_goes_through_the_service_once_audited(
    organization, other_organization, root
):
    member = UserFactory(organization=organization, role=Role.OPERATOR, is_staff=True)
    _, raw = issue_api_key(user=member, name="member's")
    assert find_api_key(raw) is not None  # now cached
    client = console(root)
    form = change_form(client, member)
    assert {"groups", "user_permissions", "username", "last_login"}.isdisjoint(form.fields)
    audit = AuditCount()

    response = client.post(
        url(User, "change", member.pk),
        posted(form, role=Role.VIEWER, organization=other_organization.pk, is_active=False),
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    member.refresh_from_db()
    assert (member.role, member.organization, member.is_active) == (
        Role.VIEWER,
        other_organization,
        False,
    )
    [entry] = audit.new()
    assert (entry.operation, entry.resource_type, entry.user) == ("UPDATE", "user", root)
    assert entry.request_body == {
        "before": {"organization": organization.pk, "role": "operator", "is_active": True},
        "after": {"organization": other_organization.pk, "role": "viewer", "is_active": False},
    }
    assert find_api_key(raw) is None  # an inactive owner's key stops at once
    assert client.get(url(User, "delete", member.pk)).status_code == 403
    # Roles are FleetOps's permissions: no page edits Django's groups.
    assert client.get("/admin/auth/group/").status_code == 404


def test_an_organization_admin_changes_role_and_active_of_their_own_users_only(
    organization, other_organization
):
    admin_user = UserFactory(organization=organization, role=Role.ADMIN, is_staff=True)
    member = UserFactory(organization=organization, role=Role.OPERATOR, is_staff=False)
    client = console(admin_user)
    form = change_form(client, member)
    assert editable(form) == {"role", "is_active"}
    audit = AuditCount()

    response = client.post(
        url(User, "change", member.pk),
        posted(
            form,
            role=Role.ADMIN,
            is_active=False,
            organization=other_organization.pk,  # not fields: ignored
            is_superuser=True,
            is_staff=True,
            email="taken-over@example.com",
        ),
    )

    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.role, member.is_active, member.organization) == (Role.ADMIN, False, organization)
    assert not member.is_superuser and not member.is_staff
    assert member.email != "taken-over@example.com"
    [entry] = audit.new()
    assert (entry.user, entry.organization) == (admin_user, organization)
    assert entry.request_body["after"] == {"role": "admin", "is_active": False}


def test_an_organization_admin_cannot_change_other_organizations_users_or_superusers(
    organization, other_organization
):
    admin_user = UserFactory(organization=organization, role=Role.ADMIN, is_staff=True)
    theirs = UserFactory(organization=other_organization, role=Role.OPERATOR)
    platform = UserFactory(
        organization=organization, role=Role.ADMIN, is_superuser=True, is_staff=True
    )
    client = console(admin_user)
    audit = AuditCount()

    assert client.get(url(User, "change", theirs.pk)).status_code == 302  # not found
    client.post(url(User, "change", theirs.pk), {"role": Role.VIEWER})
    assert client.post(url(User, "change", platform.pk), {"role": Role.VIEWER}).status_code == 403
    password_page = reverse("admin:auth_user_password_change", args=[theirs.pk])
    assert client.get(password_page).status_code == 403
    assert User.objects.get(pk=theirs.pk).role == Role.OPERATOR
    assert User.objects.get(pk=platform.pk).role == Role.ADMIN
    assert audit.new() == []


def test_an_operator_changes_no_user(organization):
    member = UserFactory(organization=organization, role=Role.VIEWER)
    client = console(UserFactory(organization=organization, role=Role.OPERATOR, is_staff=True))
    response = client.post(url(User, "change", member.pk), {"role": Role.ADMIN})
    assert response.status_code == 403
    member.refresh_from_db()
    assert member.role == Role.VIEWER


def test_update_user_refuses_what_the_actor_may_not_change(organization, other_organization):
    admin_user = UserFactory(organization=organization, role=Role.ADMIN)
    member = UserFactory(organization=organization, role=Role.VIEWER)
    theirs = UserFactory(organization=other_organization, role=Role.VIEWER)
    context = Context(actor=admin_user, via="test")
    refused = [
        (member, {"organization": other_organization}),
        (member, {"is_superuser": True}),
        (member, {"is_staff": True}),
        (theirs, {"role": Role.ADMIN}),
    ]
    for user, values in refused:
        with pytest.raises(PermissionDenied):
            update_user(user=user, values=values, context=context)
    assert not AuditLog.objects.filter(resource_type="user").exists()
    update_user(user=member, values={"role": Role.OPERATOR}, context=context)
    assert AuditLog.objects.get(resource_type="user").user == admin_user


def test_a_superuser_sets_a_password_through_the_service_ending_the_users_sessions(
    organization, root, login
):
    from accounts.models import RefreshToken

    member = UserFactory(organization=organization)
    assert login(member).status_code == 200  # a live session
    page = reverse("admin:auth_user_password_change", args=[member.pk])
    new = "a-fresh-long-passphrase-77"
    audit = AuditCount()

    response = console(root).post(
        page, {"password1": new, "password2": new, "set_usable_password": "true"}
    )

    assert response.status_code == 302
    member.refresh_from_db()
    assert member.check_password(new)
    assert not RefreshToken.objects.filter(user=member, revoked_at__isnull=True).exists()
    [entry] = audit.new()
    assert (entry.operation, entry.user, entry.resource_id) == (
        "SET_PASSWORD",
        root,
        str(member.pk),
    )
    assert new not in str(entry.request_body)
