"""The SIM reads' cold-path shapes (issue 19): the cached detail answers from the cache alone,
never to another organization, and list totals cached per organization version stay exact."""

import json

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework import serializers
from rest_framework.test import APIClient

from accounts.models import Role
from accounts.tests.factories import UserFactory
from core import fastread
from core.renderers import EnvelopeJSONRenderer
from sims import cache as sim_cache
from sims.api.serializers import SimDetailSerializer, SimSerializer
from sims.models import Sim
from sims.tests.factories import SimFactory

pytestmark = pytest.mark.django_db


def client_of(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_cached_detail_answers_without_a_query(operator_client, organization):
    sim = SimFactory(organization=organization)
    url = f"/api/v1/sims/{sim.iccid}"
    first = operator_client.get(url)
    assert first.status_code == 200
    assert operator_client.get(url).status_code == 200  # asked twice: now stored
    with CaptureQueriesContext(connection) as queries:
        again = operator_client.get(url)
    assert again.status_code == 200
    assert again.json()["data"] == first.json()["data"]
    assert [q["sql"] for q in queries.captured_queries] == []


def _without_meta(response) -> bytes:
    content = response.content
    return content[: content.rindex(b',"meta":')]


@pytest.mark.parametrize("path", ["/api/v1/sims?page_size=3", "/api/v1/sims/{iccid}"])
def test_an_answer_is_stored_once_asked_twice_and_served_as_written(
    path, operator_client, organization
):
    sims = SimFactory.create_batch(4, organization=organization, tags=["t\u2028x"], label="Ünï")
    url = path.format(iccid=sims[0].iccid)
    version = sim_cache.version(organization.pk)
    stored = f"fleetops:*sims:*:{organization.pk}:{version}:*"
    redis = cache.client.get_client()

    first = operator_client.get(url)
    assert first.status_code == 200
    assert [k for k in redis.keys(stored) if not k.endswith(b":uses")] == []  # asked once
    second = operator_client.get(url)
    [page] = [k for k in redis.keys(stored) if not k.endswith(b":uses")]
    with CaptureQueriesContext(connection) as queries:
        third = operator_client.get(url)
    assert queries.captured_queries == []
    # The same bytes computed, computed and stored, and served from the store.
    assert _without_meta(first) == _without_meta(second) == _without_meta(third)
    assert b"\\u2028" in third.content and "Ünï".encode() in third.content
    assert cache.client.decode(redis.get(page))[1:-1] in third.content  # spliced in as kept


def test_with_one_use_every_answer_is_stored(operator_client, organization, settings):
    settings.READ_CACHE_MIN_USES = 1
    sim = SimFactory(organization=organization)
    operator_client.get(f"/api/v1/sims/{sim.iccid}")
    with CaptureQueriesContext(connection) as queries:
        assert operator_client.get(f"/api/v1/sims/{sim.iccid}").status_code == 200
    assert queries.captured_queries == []


def test_a_cached_detail_never_reaches_another_organization(organization, other_organization):
    sim = SimFactory(organization=organization, label="ours only")
    url = f"/api/v1/sims/{sim.iccid}"
    owner = client_of(UserFactory(organization=organization, role=Role.OPERATOR))
    for _ in range(2):  # asked twice: now cached
        assert owner.get(url).json()["data"]["label"] == "ours only"

    stranger = client_of(UserFactory(organization=other_organization, role=Role.ADMIN))
    answer = stranger.get(url)
    assert answer.status_code == 404
    assert "ours only" not in answer.content.decode()
    # Nor with the same path made different in ways the cache key could confuse.
    assert stranger.get(f"{url}?organization_id={organization.pk}").status_code in (404, 422)

    member_of_none = client_of(UserFactory(organization=None, role=Role.OPERATOR))
    assert member_of_none.get(url).status_code in (403, 404)


def test_malformed_iccid_is_refused_before_the_cache(operator_client):
    assert operator_client.get("/api/v1/sims/12ab").status_code == 400


def test_cached_totals_follow_writes(operator_client, organization, other_organization):
    SimFactory.create_batch(3, organization=organization)
    SimFactory.create_batch(2, organization=other_organization)
    assert operator_client.get("/api/v1/sims?page=1").json()["pagination"]["total"] == 3
    with CaptureQueriesContext(connection) as queries:  # another page: the total is cached
        page = operator_client.get("/api/v1/sims?page=2&page_size=2")
    assert page.json()["pagination"]["total"] == 3
    assert not any("COUNT(" in q["sql"] for q in queries.captured_queries)

    SimFactory(organization=organization)
    sim_cache.invalidate(organization.pk)  # what every service writing SIMs does
    assert operator_client.get("/api/v1/sims?page=3").json()["pagination"]["total"] == 4


def test_sim_pages_are_values_rows():
    assert fastread.plan_for(SimSerializer).row_ready
    assert fastread.plan_for(SimDetailSerializer).row_ready  # quota reads the row's columns


def test_an_evaluated_page_keeps_its_objects(organization):
    """Objects a view already loaded (and may have changed) are the ones rendered."""
    SimFactory.create_batch(2, organization=organization)
    page = Sim.objects.order_by("pk")[:2]
    loaded = list(page)
    loaded[0].label = "changed in memory"
    assert SimSerializer(page, many=True).data[0]["label"] == "changed in memory"


def test_an_uncached_detail_is_one_query_without_the_organization_and_answers_as_drf(
    organization, settings
):
    sim = SimFactory(
        organization=organization,
        metadata={"k": "v"},
        tags=["a", "b"],
        data_quota_remaining_bytes=5,
        data_quota_total_bytes=10,
    )
    client = client_of(UserFactory(organization=organization, role=Role.VIEWER))
    sim_cache.invalidate(organization.pk)
    with CaptureQueriesContext(connection) as queries:
        answer = client.get(f"/api/v1/sims/{sim.iccid}?_nc=1")
    assert answer.status_code == 200
    reads = [q["sql"] for q in queries.captured_queries if 'FROM "sims_sim"' in q["sql"]]
    assert len(reads) == 1 and "JOIN" not in reads[0]  # no organization fetched with it
    fresh = Sim.objects.get(pk=sim.pk)
    # The same bytes as the object's answer through DRF's own path.
    assert json.dumps(answer.json()["data"]) == json.dumps(drf_answer(fresh))


def drf_answer(sim) -> dict:
    serializer = SimDetailSerializer(sim)
    return json.loads(
        EnvelopeJSONRenderer().render(
            serializers.ModelSerializer.to_representation(serializer, sim)
        )
    )


def test_an_uncached_detail_of_another_organization_or_none_is_404(
    organization, other_organization
):
    theirs = SimFactory(organization=other_organization)
    client = client_of(UserFactory(organization=organization, role=Role.ADMIN))
    missing = client.get(f"/api/v1/sims/{theirs.iccid}?_nc=2")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "NOT_FOUND"
    unknown = client.get("/api/v1/sims/8988228999999999999?_nc=3")
    assert unknown.status_code == 404
    assert unknown.json()["error"]["message"] == missing.json()["error"]["message"]


def test_a_view_whose_permissions_look_at_objects_fetches_the_object(organization, monkeypatch):
    from rest_framework.permissions import BasePermission

    from sims.api.views import SimViewSet

    seen = []

    class LooksAtObjects(BasePermission):
        def has_object_permission(self, request, view, obj):
            seen.append(obj)
            return True

    monkeypatch.setattr(
        SimViewSet, "permission_classes", [*SimViewSet.permission_classes, LooksAtObjects]
    )
    sim = SimFactory(organization=organization)
    client = client_of(UserFactory(organization=organization, role=Role.VIEWER))
    assert client.get(f"/api/v1/sims/{sim.iccid}?_nc=4").status_code == 200
    assert [obj.pk for obj in seen] == [sim.pk]


def _json_bytes(answer) -> bytes:
    return json.dumps(answer).encode()


def test_the_cache_keeps_what_write_gives_and_answers_what_read_makes(organization, settings):
    settings.READ_CACHE_MIN_USES = 1
    answer = {"data": [{"iccid": "8988228000000000001", "n": 1.5}]}
    computed = []

    def compute():
        computed.append(1)
        return answer

    def ask():
        return sim_cache.cached(
            "list", organization.pk, "/p", 60, compute, write=_json_bytes, read=json.loads
        )

    assert ask() == ask() == answer and len(computed) == 1
    key = sim_cache.key_for("list", organization.pk, "/p")
    assert cache.get(key) == _json_bytes(answer)


def test_an_entry_kept_before_answers_were_bytes_is_the_answer(organization):
    key = sim_cache.key_for("detail", organization.pk, "/old")
    cache.set(key, {"label": "as it was"})
    kept = sim_cache.cached(
        "detail", organization.pk, "/old", 60, dict, write=_json_bytes, read=json.loads
    )
    assert kept == {"label": "as it was"}
