"""A generic API test base (after NetBox's ``APIViewTestCases``).

An endpoint's test class picks the cases it needs and fills in ``url_name``, ``make_object``
and, for writes, ``create_data``/``update_data``; the cases then check the behaviour every
endpoint owes: the envelope, 401 without credentials, 403 for a viewer's write, 404 across
organizations, lists that show one organization only and a pinned query count.
"""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import Role
from accounts.tests.factories import UserFactory


def assert_success_envelope(body: dict) -> None:
    assert body["success"] is True
    assert "data" in body
    assert set(body["meta"]) >= {"timestamp", "request_id"}
    assert body["meta"]["request_id"]


def assert_error_envelope(body: dict, code: str) -> None:
    assert body["success"] is False
    assert body["error"]["code"] == code
    assert set(body["error"]) >= {"code", "message", "details", "timestamp"}
    assert body["meta"]["request_id"]


def assert_job_accepted(response, *, total: int) -> dict:
    """The one 202 of a started job (``core.responses.job_accepted``): ``job_id``,
    ``status``, ``total``, an absolute ``status_url`` and a ``Location`` header naming it.
    Returns the body's data."""
    assert response.status_code == 202, response.content
    body = response.json()
    assert_success_envelope(body)
    data = body["data"]
    assert set(data) == {"job_id", "status", "total", "status_url"}
    assert data["total"] == total
    assert data["status_url"] == f"http://testserver/api/v1/jobs/{data['job_id']}"
    assert response.headers["Location"] == data["status_url"]
    return data


class APITestBase:
    url_name: str  # "<app>-api:<basename>"
    lookup_field = "pk"
    lookup_url_kwarg = "pk"
    write_role = Role.OPERATOR

    def make_object(self, organization):
        raise NotImplementedError

    def detail_url(self, obj) -> str:
        value = getattr(obj, self.lookup_field)
        return reverse(f"{self.url_name}-detail", kwargs={self.lookup_url_kwarg: value})

    def list_url(self) -> str:
        return reverse(f"{self.url_name}-list")

    @staticmethod
    def client_as(user) -> APIClient:
        client = APIClient()
        client.force_authenticate(user)
        return client

    @pytest.fixture
    def member(self, organization):
        return UserFactory(organization=organization, role=self.write_role)

    @pytest.fixture
    def viewer(self, organization):
        return UserFactory(organization=organization, role=Role.VIEWER)

    @pytest.fixture
    def obj(self, organization):
        return self.make_object(organization)


class GetObjectCases(APITestBase):
    def test_get_object(self, member, obj):
        response = self.client_as(member).get(self.detail_url(obj))
        assert response.status_code == 200, response.content
        assert_success_envelope(response.json())

    def test_get_object_without_credentials_is_401(self, obj):
        response = APIClient().get(self.detail_url(obj))
        assert response.status_code == 401
        assert_error_envelope(response.json(), "UNAUTHORIZED")

    def test_get_object_of_other_organization_is_404(self, obj, other_organization):
        stranger = UserFactory(organization=other_organization, role=Role.ADMIN)
        response = self.client_as(stranger).get(self.detail_url(obj))
        assert response.status_code == 404
        assert_error_envelope(response.json(), "NOT_FOUND")


class ListObjectsCases(APITestBase):
    """A list shows the caller's organization's objects, all of them and nothing else, at a
    pinned cost.

    ``list_queries`` is the exact number of queries one list page costs, the same for one row
    and for several (NetBox pins it exactly: a new query fails the test instead of hiding
    under a ceiling, and an N+1 shows as a different count for 1 and N rows). A nested list
    (``/sims/{iccid}/sms``) overrides ``make_objects`` (all on one parent) and ``list_url``.
    """

    list_queries: int
    list_id_field = "id"

    def make_objects(self, organization, count: int) -> list:
        """``count`` objects of ``organization`` that one list page shows together."""
        return [self.make_object(organization) for _ in range(count)]

    def list_url(self, objects=()) -> str:
        return reverse(f"{self.url_name}-list")

    def listed_ids(self, body: dict) -> set[str]:
        return {str(row[self.list_id_field]) for row in body["data"]}

    def ids_of(self, objects) -> set[str]:
        return {str(o.pk) for o in objects}

    def test_list_shows_own_objects_and_none_of_another_organization(
        self, member, organization, other_organization
    ):
        mine = self.make_objects(organization, 3)
        theirs = self.make_objects(other_organization, 2)
        response = self.client_as(member).get(self.list_url(mine))
        assert response.status_code == 200, response.content
        body = response.json()
        assert_success_envelope(body)
        listed = self.listed_ids(body)
        assert not listed & self.ids_of(theirs), "another organization's objects are listed"
        assert listed == self.ids_of(mine)
        assert body["pagination"]["total"] == len(mine)

    @pytest.mark.parametrize("rows", [1, 4])
    def test_list_query_count_is_pinned(
        self, member, organization, other_organization, rows, django_assert_num_queries
    ):
        objects = self.make_objects(organization, rows)
        self.make_objects(other_organization, 1)
        client = self.client_as(member)
        with django_assert_num_queries(self.list_queries):
            response = client.get(self.list_url(objects))
        assert response.status_code == 200, response.content
        assert len(response.json()["data"]) == len(objects)

    def test_list_without_credentials_is_401(self, organization):
        response = APIClient().get(self.list_url(self.make_objects(organization, 1)))
        assert response.status_code == 401
        assert_error_envelope(response.json(), "UNAUTHORIZED")


class NestedListObjectsCases(ListObjectsCases):
    """A list under a parent (``/sims/{iccid}/...``): the parent is looked up in the caller's
    organization, so another organization's parent answers 404 (its rows are never reached)."""

    def test_list_under_another_organizations_parent_is_404(
        self, member, organization, other_organization
    ):
        self.make_objects(organization, 1)
        theirs = self.make_objects(other_organization, 1)
        response = self.client_as(member).get(self.list_url(theirs))
        assert response.status_code == 404, response.content
        assert_error_envelope(response.json(), "NOT_FOUND")


class CreateObjectCases(APITestBase):
    create_data: dict

    def test_create_object(self, member):
        response = self.client_as(member).post(self.list_url(), self.create_data, format="json")
        assert response.status_code == 201, response.content
        assert_success_envelope(response.json())

    def test_viewer_cannot_create(self, viewer):
        response = self.client_as(viewer).post(self.list_url(), self.create_data, format="json")
        assert response.status_code == 403
        assert_error_envelope(response.json(), "FORBIDDEN")


class UpdateObjectCases(APITestBase):
    update_data: dict

    def test_update_object(self, member, obj):
        client = self.client_as(member)
        response = client.patch(self.detail_url(obj), self.update_data, format="json")
        assert response.status_code == 200, response.content
        data = response.json()["data"]
        for field, value in self.update_data.items():
            assert data[field] == value

    def test_viewer_cannot_update(self, viewer, obj):
        response = self.client_as(viewer).patch(self.detail_url(obj), self.update_data)
        assert response.status_code == 403
        assert_error_envelope(response.json(), "FORBIDDEN")

    def test_update_object_of_other_organization_is_404(self, obj, other_organization):
        stranger = UserFactory(organization=other_organization, role=Role.ADMIN)
        response = self.client_as(stranger).patch(self.detail_url(obj), self.update_data)
        assert response.status_code == 404


class DeleteObjectCases(APITestBase):
    def test_delete_object(self, member, obj):
        response = self.client_as(member).delete(self.detail_url(obj))
        assert response.status_code == 204
        assert not type(obj).objects.filter(pk=obj.pk).exists()

    def test_viewer_cannot_delete(self, viewer, obj):
        response = self.client_as(viewer).delete(self.detail_url(obj))
        assert response.status_code == 403
        assert type(obj).objects.filter(pk=obj.pk).exists()

    def test_delete_object_of_other_organization_is_404(self, obj, other_organization):
        stranger = UserFactory(organization=other_organization, role=Role.ADMIN)
        assert self.client_as(stranger).delete(self.detail_url(obj)).status_code == 404
        assert type(obj).objects.filter(pk=obj.pk).exists()


class ReadOnlyAPICases(GetObjectCases, ListObjectsCases):
    pass


class APICases(ReadOnlyAPICases, CreateObjectCases, UpdateObjectCases, DeleteObjectCases):
    pass
