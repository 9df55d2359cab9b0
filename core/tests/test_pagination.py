import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory
from rest_framework.request import Request

from accounts.tests.factories import OrganizationFactory
from core.pagination import FleetPagination
from core.tests.urls import UnorderedOrganizationList

pytestmark = [pytest.mark.urls("core.tests.urls"), pytest.mark.django_db]


@pytest.fixture
def organizations():
    return [OrganizationFactory(slug=f"org-{i:03d}") for i in range(120)]


def slugs(body):
    return [row["slug"] for row in body["data"]]


def test_default_page_is_first_fifty(api_client, organizations):
    body = api_client.get("/api/v1/orgs").json()
    assert slugs(body) == [f"org-{i:03d}" for i in range(50)]
    assert body["pagination"] == {
        "total": 120,
        "page": 1,
        "page_size": 50,
        "total_pages": 3,
        "has_next": True,
        "has_prev": False,
    }


def test_page_and_page_size(api_client, organizations):
    body = api_client.get("/api/v1/orgs?page=3&page_size=25").json()
    assert slugs(body) == [f"org-{i:03d}" for i in range(50, 75)]
    assert body["pagination"]["has_prev"] is True
    assert body["pagination"]["total_pages"] == 5


def test_page_size_is_capped_at_maximum(api_client, organizations):
    body = api_client.get("/api/v1/orgs?page_size=1000").json()
    assert body["pagination"]["page_size"] == 100
    assert len(body["data"]) == 100


def test_page_past_the_end_is_empty(api_client, organizations):
    body = api_client.get("/api/v1/orgs?page=9").json()
    assert body["data"] == []
    assert body["pagination"]["has_next"] is False


def test_limit_and_offset(api_client, organizations):
    body = api_client.get("/api/v1/orgs?limit=10&offset=115").json()
    assert slugs(body) == [f"org-{i:03d}" for i in range(115, 120)]
    assert body["pagination"]["offset"] == 115
    assert body["pagination"]["limit"] == 10
    assert body["pagination"]["has_next"] is False


def test_skip_and_limit(api_client, organizations):
    body = api_client.get("/api/v1/orgs?skip=5&limit=2").json()
    assert slugs(body) == ["org-005", "org-006"]
    assert body["pagination"]["skip"] == 5


@pytest.mark.parametrize("query", ["page=0", "page=abc", "page_size=0", "offset=-1", "limit=x"])
def test_bad_paging_parameters_are_422(api_client, organizations, query):
    response = api_client.get(f"/api/v1/orgs?{query}")
    assert response.status_code == 422
    loc = response.json()["error"]["details"]["errors"][0]["loc"]
    assert loc == [query.split("=")[0]]


@pytest.mark.parametrize("name", ["page", "offset", "skip", "limit", "page_size"])
@pytest.mark.parametrize("value", ["99999999999999999999", "9" * 5000])
def test_paging_parameters_beyond_64_bits_are_422_naming_the_parameter(api_client, name, value):
    response = api_client.get(f"/api/v1/orgs?{name}={value}")
    assert response.status_code == 422
    error = response.json()["error"]["details"]["errors"][0]
    assert error["loc"] == [name]
    assert error["type"] == "value_error.max_value"


def test_page_whose_offset_overflows_bigint_is_422(api_client):
    # The page number fits in 64 bits; (page - 1) * page_size does not.
    response = api_client.get("/api/v1/orgs?page=9223372036854775807")
    assert response.status_code == 422
    assert response.json()["error"]["details"]["errors"][0]["loc"] == ["page"]


def test_largest_offset_is_an_empty_page(api_client, organizations):
    body = api_client.get("/api/v1/orgs?offset=9223372036854775807").json()
    assert body["data"] == [] and body["pagination"]["has_next"] is False


@pytest.mark.parametrize("query", ["page=1_0", "page=%201", "limit=1.5", "offset=%D9%A1"])
def test_paging_parameters_are_plain_digits(api_client, organizations, query):
    response = api_client.get(f"/api/v1/orgs?{query}")
    assert response.status_code == 422
    assert response.json()["error"]["details"]["errors"][0]["type"] == "value_error.type_error"


def test_offset_and_skip_together_are_422(api_client):
    assert api_client.get("/api/v1/orgs?offset=1&skip=1").status_code == 422


def test_unordered_queryset_is_refused(organizations):
    request = Request(RequestFactory().get("/"))
    with pytest.raises(ImproperlyConfigured, match="unordered"):
        FleetPagination().paginate_queryset(
            UnorderedOrganizationList.queryset, request, UnorderedOrganizationList()
        )


def test_what_a_process_keeps_of_totals_and_anchors_stays_within_its_room(db):
    from core import pagination

    kept = pagination._Kept(room=3, size=len)
    kept.put("kept-test:a", [1, 2])
    kept.put("kept-test:b", [3])
    assert kept.get("kept-test:a") == [1, 2] and kept.used == 3
    kept.put("kept-test:c", [4])  # no room left: emptied first
    assert list(kept.entries) == ["kept-test:c"] and kept.used == 1
    assert kept.get("kept-test:a") == [1, 2]  # still in the cache, kept here again
    assert kept.remembered("kept-test:d", lambda: [5]) == [5] == kept.get("kept-test:d")
