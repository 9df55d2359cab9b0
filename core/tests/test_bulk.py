from datetime import timedelta

import pytest
from django.utils import timezone

from core.bulk import update_rows
from core.models import DomainEvent

pytestmark = pytest.mark.django_db


def make_events(count):
    now = timezone.now()
    return DomainEvent.objects.bulk_create(
        DomainEvent(name="sim.activated", subject=f"sim:{i}", data={"i": i}, occurred_at=now)
        for i in range(count)
    )


def test_each_row_gets_its_own_values_as_save_would_store_them():
    events = make_events(3)
    later = timezone.now() + timedelta(minutes=5)
    for index, event in enumerate(events):
        event.data = {"index": index, "text": 'it\'s "quoted"', "nested": [None, 1.5]}
        event.dispatched_at = later if index else None
        event.attempts = index * 2
        event.last_error = "" if index else "O'Brien; DROP TABLE x"

    assert (
        update_rows(
            DomainEvent.objects.all(), events, ["data", "dispatched_at", "attempts", "last_error"]
        )
        == 3
    )

    for index, event in enumerate(DomainEvent.objects.order_by("id")):
        assert event.data == {"index": index, "text": 'it\'s "quoted"', "nested": [None, 1.5]}
        assert event.dispatched_at == (later if index else None)
        assert event.attempts == index * 2
    assert DomainEvent.objects.order_by("id")[0].last_error == "O'Brien; DROP TABLE x"


def test_only_rows_the_queryset_still_matches_are_written():
    events = make_events(2)
    DomainEvent.objects.filter(pk=events[0].pk).update(attempts=9)
    for event in events:
        event.last_error = "written"

    updated = update_rows(DomainEvent.objects.filter(attempts=0), events, ["last_error"])

    assert updated == 1
    assert dict(DomainEvent.objects.values_list("attempts", "last_error")) == {9: "", 0: "written"}
    assert update_rows(DomainEvent.objects.all(), [], ["last_error"]) == 0


def test_another_database_gets_djangos_bulk_update_with_the_same_result(monkeypatch):
    from django.db import connection

    events = make_events(2)
    events[1].last_error = "written"
    monkeypatch.setattr(connection, "vendor", "sqlite")  # as `make run`'s embedded database

    assert update_rows(DomainEvent.objects.exclude(pk=events[0].pk), events, ["last_error"]) == 1
    assert list(DomainEvent.objects.order_by("id").values_list("last_error", flat=True)) == [
        "",
        "written",
    ]
