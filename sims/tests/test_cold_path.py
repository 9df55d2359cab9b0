"""The SIM reads' cold-path shapes (issue 19): the cached detail answers from the cache alone,
never to another organization, and list totals cached per organization version stay exact."""

import json
import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework import serializers
from rest_framework.test import APIClient

from accounts.models import Role
from accounts.tests.factories import OrganizationFactory, UserFactory
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


# Deep pages start from the sort keys of every ANCHOR_STRIDE-th row (core.pagination), read once
# per SIM cache version: with a stride of 4, most pages of 23 SIMs start from one.
_SORTS = {
    "created_at&sort_order=desc": ("-created_at", "-pk"),
    "iccid&sort_order=asc": ("iccid", "pk"),
    "status&sort_order=desc": ("-status", "-pk"),
    "label&sort_order=asc": ("label", "pk"),
    "activation_date&sort_order=asc": ("activation_date", "pk"),  # nullable: OFFSET
}


@pytest.fixture
def stride_of_four(monkeypatch):
    from core import pagination

    monkeypatch.setattr(pagination, "ANCHOR_STRIDE", 4)


def _fleet_with_ties(organization) -> None:
    sims = SimFactory.create_batch(23, organization=organization)
    moments = [sims[0].created_at.replace(microsecond=0) + timedelta(seconds=i) for i in range(5)]
    for i, sim in enumerate(sims):
        # Sort keys shared by several SIMs: the primary key orders them.
        Sim.objects.filter(pk=sim.pk).update(
            created_at=moments[i % 5],
            status=("Enabled", "Disabled", "Enabled")[i % 3],
            label=f"site {i % 4}",
            activation_date=moments[i % 2] if i % 3 else None,
        )
    sim_cache.invalidate(organization.pk)


@pytest.mark.parametrize("sort", _SORTS)
@pytest.mark.parametrize("size", [3, 5])
def test_every_page_is_the_one_an_offset_gives(sort, size, stride_of_four, organization):
    _fleet_with_ties(organization)
    SimFactory.create_batch(6, organization=OrganizationFactory())  # another fleet, never seen
    expected = list(
        Sim.objects.filter(organization=organization)
        .order_by(*_SORTS[sort])
        .values_list("iccid", flat=True)
    )
    client = client_of(UserFactory(organization=organization, role=Role.VIEWER))
    for page in range(1, 23 // size + 3):
        with CaptureQueriesContext(connection) as queries:
            body = client.get(f"/api/v1/sims?sort_by={sort}&page={page}&page_size={size}").json()
        start = (page - 1) * size
        assert [row["iccid"] for row in body["data"]] == expected[start : start + size]
        assert body["pagination"]["total"] == 23
        pages = [q["sql"] for q in queries.captured_queries if " LIMIT " in q["sql"]]
        anchored = [sql for sql in pages if ', "sims_sim"."id") ' in sql]
        if start < 4 or sort.startswith("activation_date") or start >= 23:
            assert anchored == []  # the first stride, a nullable key, or no such page
        else:
            [sql] = anchored
            offset = re.search(r" OFFSET (\d+)$", sql)
            assert offset is None or int(offset.group(1)) < 4


def test_anchors_follow_writes(stride_of_four, organization):
    _fleet_with_ties(organization)
    client = client_of(UserFactory(organization=organization, role=Role.VIEWER))
    url = "/api/v1/sims?page=3&page_size=5"
    before = [row["iccid"] for row in client.get(url).json()["data"]]
    newest = SimFactory(organization=organization)
    later = Sim.objects.order_by("-created_at").first().created_at + timedelta(hours=1)
    Sim.objects.filter(pk=newest.pk).update(created_at=later)  # sorts first: pages move by one
    sim_cache.invalidate(organization.pk)  # what every service writing SIMs does
    after = [row["iccid"] for row in client.get(f"{url}&_nc=1").json()["data"]]
    expected = list(
        Sim.objects.filter(organization=organization)
        .order_by("-created_at", "-pk")
        .values_list("iccid", flat=True)
    )
    assert after == expected[10:15] and after[1:] == before[:4]
    assert newest.iccid not in after


def test_a_platform_superuser_pages_by_offset(stride_of_four, organization):
    """No cache version covers every organization: no anchors, the plain OFFSET."""
    _fleet_with_ties(organization)
    client = client_of(UserFactory(organization=None, is_superuser=True, is_staff=True))
    with CaptureQueriesContext(connection) as queries:
        body = client.get("/api/v1/sims?page=3&page_size=5").json()
    expected = list(Sim.objects.order_by("-created_at", "-pk").values_list("iccid", flat=True))
    assert [row["iccid"] for row in body["data"]] == expected[10:15]
    assert any(q["sql"].endswith("LIMIT 5 OFFSET 10") for q in queries.captured_queries)


def test_an_anchored_page_stays_the_same_page_as_a_subquery(stride_of_four, organization):
    from core.pagination import _anchored_page

    _fleet_with_ties(organization)
    ordered = Sim.objects.filter(organization=organization).order_by("-created_at", "-pk")
    expected = list(ordered.values_list("iccid", flat=True))[10:15]
    page = _anchored_page(ordered, 10, 5, key=f"test:{organization.pk}")
    assert list(page.values_list("iccid", flat=True)) == expected
    # Inside another query its table is relabelled (U0): the condition follows it.
    inside = Sim.objects.filter(pk__in=page.values("pk")).values_list("iccid", flat=True)
    assert sorted(inside) == sorted(expected)


def test_anchors_are_read_as_deep_as_pages_are_asked(stride_of_four, organization, monkeypatch):
    from core import pagination

    monkeypatch.setattr(pagination, "ANCHOR_BAND", 1)
    _fleet_with_ties(organization)
    client = client_of(UserFactory(organization=organization, role=Role.VIEWER))

    def numbering(query: str) -> list[str]:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/api/v1/sims?{query}").status_code == 200
        return re.findall(r"n <= (\d+)", " ".join(q["sql"] for q in queries.captured_queries))

    # Row 8 is the third anchor's: twice as many are read, rows 0 to 20.
    assert numbering("limit=2&offset=8") == ["21"]
    assert numbering("limit=2&offset=17") == []  # known already
    # Row 24 is past the sixth anchor: read again, twice as deep, to the end of the fleet.
    assert numbering("limit=2&offset=24") == ["53"]
    assert numbering("limit=2&offset=40") == []  # every anchor read: past the end, no query
    body = client.get("/api/v1/sims?limit=2&offset=40&_nc=1").json()
    assert body["data"] == [] and body["pagination"]["total"] == 23
