"""``core.fastread`` answers exactly what DRF's own serializer path answers, to the byte, for
every model serializer of the product that gets a read plan, one object at a time and as
``values()`` rows of a page."""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.utils import timezone
from rest_framework import serializers

from alerts.models import Alert, AlertRule
from core import fastread
from core.renderers import EnvelopeJSONRenderer
from core.serializers import FleetModelSerializer
from outages.tests.factories import OutageFactory
from payments.tests.factories import PaymentFactory
from provisioning.tests.factories import SubscriberFactory
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
    sims = SimFactory.create_batch(
        3,
        organization=organization,
        label="Ünïcode \u2028 label",
        tags=["a", "b"],
        metadata={"k": [1, 2.5, None, "ü"]},
        activation_date=now,
    )
    for i, sim in enumerate(sims):
        SmsMessage.objects.create(
            organization=organization,
            sim=sim,
            direction="MT",
            message=f"hi {i}",
            delivered_at=now - timedelta(seconds=i),
        )
    SubscriberFactory.create_batch(2, organization=organization)
    OutageFactory.create_batch(2, organization=organization)
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
    # The families of issue 19 all take the plan.
    families = {"SimSerializer", "SimDetailSerializer", "SmsMessageSerializer", "AlertSerializer"}
    assert families <= compared


def test_a_row_reads_as_the_object_it_stands_for(rows):
    sms = SmsMessage.objects.select_related("sim").order_by("pk").first()
    row = fastread._Row({"status": sms.status, "sim__iccid": sms.sim.iccid}, SmsMessage)
    assert row.is_final == sms.is_final  # the model's property, over the row
    assert row.sim.iccid == sms.sim.iccid  # a related column
    with pytest.raises(AttributeError):
        row.message  # noqa: B018 (not fetched: an error, never a wrong value)
