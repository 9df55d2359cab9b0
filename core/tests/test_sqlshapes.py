"""``core.sqlshapes`` answers the SQL and parameters Django compiles, for the first query of a
shape and for every later one with other values, and the same rows."""

import pytest
from django.db import connection
from django.db.models import Count, F, Q

from core import sqlshapes
from sims.models import Sim
from sims.tests.factories import SimFactory


def django_sql(queryset, **options):
    compiler = queryset.query.chain().get_compiler(using=queryset.db)
    return sqlshapes._original_as_sql(compiler, **options)


def shaped_sql(queryset, **options):
    compiler = queryset.query.chain().get_compiler(using=queryset.db)
    return compiler.as_sql(**options)


def querysets(organization, other):
    """Pairs of one shape (the second reads another organization, value or page)."""
    for org in (organization, other):
        base = Sim.objects.filter(organization_id=org.pk)
        yield base.order_by("-created_at", "-id")[:50]
        yield base.order_by("-created_at", "-id")[50:100]
        yield base.values("iccid", "status").order_by("iccid")[:3]
        yield base.filter(iccid="8988228000000000001")
        yield base.filter(status__in=["Enabled", "Disabled"][: 1 + org.pk % 2])
        yield base.filter(label__icontains=f"x{org.pk}%")
        yield base.filter(imei=None if org.pk % 2 else "35")
        yield base.filter(Q(label__startswith="a") | ~Q(status="Enabled")).order_by("pk")
        yield base.order_by("iccid")[:5]
        yield base.select_related("organization").order_by("iccid")[:5]
        yield base.values("iccid").order_by("iccid")[:5]
        yield base.order_by(F("activation_date").desc(nulls_last=True))[:5]
        yield Sim.objects.order_by("pk")


@pytest.fixture
def two_fleets(organization, other_organization):
    SimFactory.create_batch(3, organization=organization, label="a label")
    SimFactory.create_batch(2, organization=other_organization, status="Disabled")
    sqlshapes.forget()
    return organization, other_organization


@pytest.mark.django_db
def test_every_query_compiles_to_what_django_compiles(two_fleets):
    for queryset in querysets(*two_fleets):
        for options in ({}, {"with_limits": False}):
            expected = django_sql(queryset, **options)
            assert shaped_sql(queryset, **options) == expected  # learnt, or served
            assert shaped_sql(queryset, **options) == expected  # served
    assert any(shape is not sqlshapes._INELIGIBLE for shape in sqlshapes._shapes.values())


@pytest.mark.django_db
def test_a_served_shape_reads_the_rows_django_reads(two_fleets):
    organization, other = two_fleets
    for queryset in querysets(organization, other):
        first = list(queryset.values_list("pk", flat=True))
        again = list(queryset.all().values_list("pk", flat=True))
        assert first == again
    for org in (organization, other):
        sims = list(Sim.objects.filter(organization_id=org.pk).order_by("pk"))
        assert [sim.organization_id for sim in sims] == [org.pk] * len(sims)
        assert sims == list(
            Sim.objects.raw(
                "SELECT * FROM sims_sim WHERE organization_id = %s ORDER BY id", [org.pk]
            )
        )
        related = Sim.objects.filter(organization_id=org.pk).select_related("organization")
        assert {sim.organization.name for sim in related} == {org.name}


@pytest.mark.django_db
def test_aggregates_and_distinct_are_left_to_django(two_fleets):
    organization, _ = two_fleets
    sqlshapes.forget()
    assert Sim.objects.filter(organization=organization).count() == 3
    Sim.objects.values("status").annotate(n=Count("id")).order_by("status").first()
    list(Sim.objects.distinct().order_by("pk"))
    assert not sqlshapes._shapes


@pytest.mark.django_db
def test_no_shape_is_kept_for_an_empty_filter(two_fleets):
    sqlshapes.forget()
    assert list(Sim.objects.filter(pk__in=[])) == []
    assert not sqlshapes._shapes
    assert connection.vendor == "postgresql"


@pytest.mark.django_db
def test_a_deep_page_is_a_deferred_join_of_the_same_rows(organization, monkeypatch):
    monkeypatch.setattr(sqlshapes, "DEFERRED_JOIN_OFFSET", 3)
    SimFactory.create_batch(9, organization=organization, label="same")  # ties on label
    sqlshapes.forget()
    base = Sim.objects.filter(organization_id=organization.pk)
    pages = [
        base.order_by("-created_at", "-id")[3:6],
        base.order_by("label", "pk")[4:8],
        base.values_list("iccid", "id").order_by("-id")[5:7],
        base.filter(Q(label="same") | Q(status="Enabled")).order_by("iccid")[6:9],
    ]

    def rows(sql, params):
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    for page in pages:
        expected = rows(*django_sql(page))
        assert len(expected) > 1
        for _ in range(2):  # learnt, then served
            sql, params = shaped_sql(page)
            assert " IN (SELECT " in sql and len(params) == 2 * len(django_sql(page)[1])
            assert rows(sql, params) == expected
    # Shallow pages, joins and unordered queries are Django's SQL as it is.
    for page in (
        base.order_by("pk")[:2],
        base.select_related("organization").order_by("pk")[4:6],
        Sim.objects.filter(organization_id=organization.pk, label="same").order_by()[4:6],
    ):
        for _ in range(2):
            assert shaped_sql(page) == django_sql(page)
