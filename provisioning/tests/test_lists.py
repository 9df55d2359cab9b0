"""Provisioning's lists as every list is checked (``core.tests.api``): the caller's
organization's rows only, at a query count pinned exactly, the same for one row and several."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import Role
from accounts.tests.factories import UserFactory
from core.tests.api import ListObjectsCases
from provisioning.tests.factories import (
    CustomerAuthorizationFactory,
    ProvisioningRequestFactory,
    SubscriberFactory,
)

pytestmark = pytest.mark.django_db


class TestSubscriberList(ListObjectsCases):
    url_name = "provisioning-api:subscriber"
    list_queries = 2  # the count, the page
    list_id_field = "iccid"

    def make_object(self, organization):
        return SubscriberFactory(organization=organization)

    def ids_of(self, objects):
        return {subscriber.iccid for subscriber in objects}


class TestProvisioningRequestList(ListObjectsCases):
    url_name = "provisioning-api:request"
    write_role = Role.ADMIN  # an admin lists the organization's requests, not only their own
    list_queries = 2  # the count, the page (with who made each)
    list_id_field = "request_id"

    def make_object(self, organization):
        return ProvisioningRequestFactory(organization=organization)


@pytest.mark.parametrize("rows", [1, 4])
def test_authorizations_query_count_is_pinned(organization, rows, django_assert_num_queries):
    """The caller's own cust_id authorizations (scoped by user, not by organization: another
    user's, of any organization, are never listed)."""
    user = UserFactory(organization=organization, role=Role.OPERATOR)
    mine = [CustomerAuthorizationFactory(user=user, cust_id=f"91{n:05d}") for n in range(rows)]
    CustomerAuthorizationFactory(user=UserFactory(organization=organization))
    client = APIClient()
    client.force_authenticate(user)
    with django_assert_num_queries(2):  # the count, the page (with who granted each)
        response = client.get(reverse("provisioning-api:user-authorizations"))
    assert response.status_code == 200, response.content
    assert [row["cust_id"] for row in response.json()["data"]] == [a.cust_id for a in mine]
