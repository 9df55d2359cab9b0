"""No console change form moves a row to another organization: on every organization-scoped
page (``ConsoleAdmin.tenant_field``), the form a platform superuser gets for an existing row
has no field on the path to its organization. A row's tenant is set when it is made (by the
service that makes it) and never edited."""

import pytest
from django.contrib import admin
from django.test import RequestFactory

from accounts.models import User
from accounts.tests.factories import OrganizationFactory, UserFactory
from core.console import ConsoleAdmin
from core.tests.console_fleet import build_fleet
from outages.tests.factories import OutageFactory
from payments.tests.factories import PaymentFactory, WalletFactory
from provisioning.tests.factories import ProvisioningRequestFactory, SubscriberFactory
from sites.tests.factories import SiteFactory

pytestmark = pytest.mark.django_db

# Pages whose change form still edits the path to the organization, each with why.
KNOWN = {
    # Users are administered by superusers, who place them in an organization (an account,
    # not a tenant's record).
    User: "a superuser places a user in an organization",
}


def rows_of_every_app(organization) -> dict:
    """One row of each organization-scoped model the console shows (where a factory makes
    one), keyed by model."""
    fleet = build_fleet(organization)
    made = [
        OutageFactory(organization=organization),
        PaymentFactory(organization=organization),
        WalletFactory(organization=organization),
        SubscriberFactory(organization=organization),
        ProvisioningRequestFactory(organization=organization),
        SiteFactory(organization=organization),
    ]
    return {**fleet.objects, **{type(row): row for row in made}}


def tenant_pages() -> list:
    return [
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if isinstance(model_admin, ConsoleAdmin)
        and model_admin.tenant_field is not None
        and model not in KNOWN
    ]


def edits_the_way_to_the_organization(model_admin, request, row) -> bool:
    if not model_admin.has_change_permission(request, row):
        return False  # read-only: nothing is edited at all
    fields = model_admin.get_form(request, row, change=True).base_fields
    return model_admin.tenant_field.split("__")[0] in fields or "organization" in fields


def test_no_change_form_edits_the_way_to_the_organization():
    request = RequestFactory().get("/admin/")
    request.user = UserFactory(organization=None, is_superuser=True, is_staff=True)
    rows = rows_of_every_app(OrganizationFactory())
    checked, editing = set(), set()
    for model, model_admin in tenant_pages():
        row = rows.get(model) or model.objects.first()
        if row is None:
            continue  # no factory makes one here
        checked.add(model.__name__)
        if edits_the_way_to_the_organization(model_admin, request, row):
            editing.add(model.__name__)
    assert {"Sim", "LimitSet", "AutoTopUpRule", "Outage", "Site", "Payment", "APIKey"} <= checked
    assert not editing, f"change forms that move a row to another organization: {editing}"
