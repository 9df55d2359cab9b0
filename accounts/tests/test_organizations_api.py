import pytest
from django.urls import reverse

from accounts.models import Role
from accounts.tests.factories import UserFactory
from core.tests.api import (
    GetObjectCases,
    ListObjectsCases,
    UpdateObjectCases,
    assert_error_envelope,
)


@pytest.mark.django_db
class TestOrganizationAPI(GetObjectCases, ListObjectsCases, UpdateObjectCases):
    url_name = "accounts-api:organization"
    write_role = Role.ADMIN
    update_data = {"name": "Renamed Networks"}

    list_queries = 2  # the count, the page

    def make_object(self, organization):
        return organization

    def make_objects(self, organization, count):
        return [organization]  # a member's list is its one organization

    def test_current_is_the_callers_organization(self, member, organization):
        response = self.client_as(member).get(reverse("accounts-api:organization-current"))
        assert response.json()["data"]["slug"] == organization.slug

    def test_operator_cannot_rename(self, organization):
        operator = UserFactory(organization=organization, role=Role.OPERATOR)
        response = self.client_as(operator).patch(self.detail_url(organization), self.update_data)
        assert response.status_code == 403
        assert_error_envelope(response.json(), "FORBIDDEN")

    def test_user_without_organization_gets_404_for_current(self):
        loner = UserFactory(organization=None, role=Role.VIEWER)
        response = self.client_as(loner).get(reverse("accounts-api:organization-current"))
        assert response.status_code == 404
