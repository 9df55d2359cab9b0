"""``core.fastread`` answers exactly what DRF's own serializer path answers, to the byte, for
every model serializer of the product that gets a read plan, one object at a time and as
``values()`` rows of a page."""

import datetime as dt
import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.utils import timezone
from rest_framework import serializers

from alerts.models import Alert, AlertRule
from core import fastread
from core.context import Context
from core.models import Job, JobItem
from core.renderers import EnvelopeJSONRenderer
from core.serializers import FleetModelSerializer
from outages import selectors as outage_selectors
from outages import services as outage_services
from outages.models import RcaAction, RootCauseAnalysis, TimelineEntry
from outages.tests.factories import OutageFactory
from payments.tests.factories import PaymentFactory
from provisioning.tests.factories import SubscriberFactory
from sims.models import Sim
from sims.tests.factories import SimFactory
from sms.models import SmsMessage


def rendered(data) -> bytes:
    return EnvelopeJSONRenderer().render(data)


def model_serializers() -> list[type]:
    for config in apps.get_app_configs():
        try:
            importlib.import_module(f"{config.name}.api.serializers")
        except ModuleNotFoundError:
            continue
    found, pending = [], [FleetModelSerializer]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls is not FleetModelSerializer:
            found.append(cls)
    return found


@pytest.fixture
def rows(organization):
    now = timezone.now()
    # Timestamps written with and without microseconds (PostgreSQL writes them on the row path).
    sims = [
        SimFactory(
            organization=organization,
            label="Ünïcode \u2028 label",
            tags=["a", "b", 12345678901234567890123],
            metadata={"k": [1, 2.5, None, "ü", 1e-07]},
            activation_date=now.replace(microsecond=microsecond),
        )
        for microsecond in (0, 100000, 7, 120000, 123000, 123400, 123450, 123456)
    ]
    for i, sim in enumerate(sims):
        SmsMessage.objects.create(
            organization=organization,
            sim=sim,
            direction="MT",
            message=f"hi {i}",
            delivered_at=now - timedelta(seconds=i),
        )
    SubscriberFactory.create_batch(2, organization=organization)
    outage, _ = OutageFactory.create_batch(2, organization=organization)
    # Nested lists over related managers (a timeline, an RCA's actions, a job's results).
    TimelineEntry.objects.create(
        outage=outage, occurred_at=now, kind="created", event="Opened", actor_name="noc"
    )
    rca = RootCauseAnalysis.objects.create(
        outage=outage, category="power", contributing_factors=["storm", "ü"], summary="Mains"
    )
    RcaAction.objects.create(rca=rca, description="Add a UPS", owner="noc", due_date=now.date())
    RcaAction.objects.create(
        rca=rca, description="Audit", owner="ops", due_date=now.date(), done=True, done_at=now
    )
    job = Job.objects.create(kind="fastread", organization=organization)
    JobItem.objects.create(job=job, key="a", result={"ok": True, "n": 1.5})
    JobItem.objects.create(job=job, key="b", position=1, status="failed", error="no")
    PaymentFactory.create_batch(2, organization=organization)
    rule = AlertRule.objects.create(organization=organization, name="r", event_types=["x"])
    Alert.objects.create(
        organization=organization,
        rule=rule,
        subject="s",
        event_type="x",
        title="t",
        first_event_at=now,
        last_event_at=now,
    )


def test_every_planned_serializer_answers_as_drf(rows):
    compared = set()
    for cls in model_serializers():
        plan = fastread.plan_for(cls)
        model = cls.Meta.model
        queryset = model._default_manager.order_by("pk")
        if plan is None or not queryset.exists():
            continue
        try:
            expected = [serializers.Serializer.to_representation(cls(), o) for o in queryset]
        except (AttributeError, KeyError, TypeError):
            continue  # needs a view's context; the plan calls the same methods with it
        ones = [cls(o).data for o in queryset]
        assert rendered(ones) == rendered(expected), cls
        many = cls(queryset.all(), many=True).data
        assert rendered(many) == rendered(expected), cls
        if plan.row_ready:
            assert fastread.rows_apply(plan, cls(), queryset.all()), cls
        compared.add(cls.__name__)
    # The families of issue 19 all take the plan, and nested lists of planned serializers.
    families = {"SimSerializer", "SimDetailSerializer", "SmsMessageSerializer", "AlertSerializer"}
    nested = {"RcaSerializer", "JobSerializer"}
    assert families | nested <= compared


def serializer_named(name: str) -> type:
    """An app's serializer (core's tests import no app's api)."""
    return next(cls for cls in model_serializers() if cls.__name__ == name)


def test_a_page_read_as_text_answers_as_drf(rows):
    SimDetailSerializer = serializer_named("SimDetailSerializer")
    plan = fastread.plan_for(SimDetailSerializer)
    assert plan.text_function is not None
    queryset = Sim.objects.order_by("pk")
    answers = plan.represent_rows(SimDetailSerializer(), queryset.all())
    drf = serializers.Serializer.to_representation
    expected = [drf(SimDetailSerializer(), sim) for sim in queryset]
    assert rendered(answers) == rendered(expected)
    written = sorted(answer["activation_date"][19:] for answer in answers)
    assert written == [  # as DRF writes them, from each length of PostgreSQL's text
        ".000007Z",
        ".100000Z",
        ".120000Z",
        ".123000Z",
        ".123400Z",
        ".123450Z",
        ".123456Z",
        "Z",
    ]


def test_a_row_read_as_text_gives_its_methods_the_values_django_reads(rows):
    plan = fastread.plan_for(serializer_named("SmsMessageSerializer"))
    assert plan.has_methods and plan.text_function is not None
    message = SmsMessage.objects.order_by("pk").first()
    row = plan._text_rows(SmsMessage.objects.filter(pk=message.pk))[0]
    view = fastread._Row(dict(zip(plan.columns, row, strict=True)), plan.text_layout)
    assert view.delivered_at == message.delivered_at
    assert view.delivered_at.tzinfo == message.delivered_at.tzinfo


def test_values_rows_are_the_query_django_writes(rows):
    """The select list ``core.fastread`` builds itself is the one ``values_list`` builds."""
    built = 0
    for cls in model_serializers():
        plan = fastread.plan_for(cls)
        if plan is None or not plan.row_ready:
            continue
        queryset = cls.Meta.model._default_manager.filter(pk__gt=0).order_by("-pk")[5:10]
        ours = plan._values_rows(queryset)
        assert str(ours.query) == str(queryset.values_list(*plan.columns).query), cls
        assert list(ours) == list(queryset.values_list(*plan.columns)), cls
        built += plan._select is not None
    assert built


@pytest.mark.parametrize(
    "lookup",
    [
        {"iccid": "8988228000000000001"},
        {"pk": 1},
        {"id": 1, "status": "Enabled"},
        {"organization_id": 1, "iccid": "x"},
        {"organization": 1},  # a relation: filter()'s
        {"label": None},  # IS NULL: filter()'s
        {"iccid__startswith": "8988"},  # a path: filter()'s
    ],
)
def test_equalities_added_directly_are_the_condition_filter_adds(lookup, organization):
    scoped = Sim.objects.filter(organization=organization).order_by("-created_at", "-pk")
    ours = fastread.equal_to(scoped, **lookup)
    assert str(ours.query) == str(scoped.filter(**lookup).query)
    assert str(scoped.query) == str(
        Sim.objects.filter(organization=organization).order_by("-created_at", "-pk").query
    )  # the queryset it was given is unchanged


def test_a_row_reads_as_the_object_it_stands_for(rows):
    sms = SmsMessage.objects.select_related("sim").order_by("pk").first()
    columns = {"status": sms.status, "sim__iccid": sms.sim.iccid}
    row = fastread._Row(columns, fastread._Layout(SmsMessage, columns))
    assert row.is_final == sms.is_final  # the model's property, over the row
    assert row.sim.iccid == sms.sim.iccid  # a related column
    with pytest.raises(AttributeError):
        row.message  # noqa: B018 (not fetched: an error, never a wrong value)


def test_a_row_reads_related_rows_it_may_not_have_and_properties(organization):
    """An outage page as rows: the methods read a related row through ``Meta.row_columns``,
    None where the LEFT JOIN found none, and ``id`` is a model property over the row."""
    OutageSerializer = serializer_named("OutageSerializer")
    plan = fastread.plan_for(OutageSerializer)
    assert plan.row_ready and plan.text_function is not None
    resolved, _ = OutageFactory.create_batch(2, organization=organization)
    outage_services.resolve_outage(outage=resolved, context=Context.system(via="test"))
    queryset = outage_selectors.outages_of([organization.pk]).order_by("pk")
    context = {"terms": outage_selectors.TermsInForce(), "settlements": {}, "now": timezone.now()}
    assert fastread.rows_apply(plan, OutageSerializer(), queryset.all())
    answers = OutageSerializer(queryset.all(), many=True, context=context).data
    drf = serializers.Serializer.to_representation
    expected = [drf(OutageSerializer(context=context), outage) for outage in queryset]
    assert rendered(answers) == rendered(expected)
    assert [answer["sla_status"]["status"] for answer in answers] == ["met", "in_progress"]
    row = plan._text_rows(queryset.filter(pk=queryset[1].pk))[0]
    view = fastread._Row(dict(zip(plan.columns, row, strict=True)), plan.text_layout)
    assert view.sla_result is None and view.pk == queryset[1].pk
    assert view.public_id == queryset[1].public_id


def test_one_object_read_as_a_row_answers_as_drf(rows):
    SimDetailSerializer = serializer_named("SimDetailSerializer")
    sim = Sim.objects.order_by("pk").first()
    one = fastread.represent_one(SimDetailSerializer(), Sim.objects.filter(pk=sim.pk))
    drf = serializers.Serializer.to_representation(SimDetailSerializer(), sim)
    assert rendered(one) == rendered(drf)
    assert fastread.represent_one(SimDetailSerializer(), Sim.objects.filter(pk=-1)) is None
    with pytest.raises(Sim.MultipleObjectsReturned):
        fastread.represent_one(SimDetailSerializer(), Sim.objects.all())


@pytest.mark.parametrize(
    "microsecond", [0, 7, 100000, 120000, 123000, 123400, 123450, 123456, 999999]
)
def test_a_timestamp_is_rewritten_from_postgresqls_text_as_drf_writes_it(db, microsecond):
    """Every length PostgreSQL writes a UTC timestamp in (it drops a fraction's trailing zeros)
    by the row functions' inline rewriting, and by ``_iso_text``."""
    from django.db import connection

    value = dt.datetime(2026, 1, 2, 3, 4, 5, microsecond, tzinfo=dt.UTC)
    with connection.cursor() as cursor:
        cursor.execute("SET TIME ZONE 'UTC'")
        cursor.execute("SELECT %s::timestamptz::text", [value])
        text = cursor.fetchone()[0]
    row_function = fastread._generate(
        [("at", "at", None, fastread._ISO_TEXT, None)], lambda attname: "o[0]"
    )
    expected = serializers.DateTimeField().to_representation(value)
    assert row_function((text,), dt.UTC, True, None, None) == {"at": expected}
    assert fastread._iso_text(text) == expected


def test_typed_columns_and_choices_of_a_row_answer_as_drf(rows):
    """A row function leaves out ``int()``/``str()`` of columns the row holds typed, and writes
    a choice inline: the same answers, a value outside the choices and an empty one included."""
    SimSerializer = serializer_named("SimSerializer")
    plan = fastread.plan_for(SimSerializer)
    left_out = {step[0] for step in plan.row_steps if step[2] is fastread._identity}
    assert {"id", "iccid", "label", "organization_id"} <= left_out
    assert "ip_address" not in left_out  # inet: a converter's type, kept
    first, second = Sim.objects.order_by("pk")[:2]
    Sim.objects.filter(pk=first.pk).update(status="")
    Sim.objects.filter(pk=second.pk).update(status="retired-long-ago")
    queryset = Sim.objects.order_by("pk")
    drf = serializers.Serializer.to_representation
    expected = [drf(SimSerializer(), sim) for sim in queryset]
    assert rendered(plan.represent_rows(SimSerializer(), queryset.all())) == rendered(expected)
    assert [answer["status"] for answer in expected[:2]] == ["", "retired-long-ago"]
