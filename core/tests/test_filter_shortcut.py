"""A list asked without any filter parameter skips its filterset (``core.filters``) only where
the filterset would have answered the queryset unchanged, for every filterset of the product."""

import importlib

import django_filters
import pytest
from django.apps import apps
from django.http import QueryDict
from rest_framework.test import APIClient

from accounts.models import Role
from core import filters
from sims.tests.factories import SimFactory

NO_FILTER = QueryDict("page=2&page_size=5&_nc=x&sort_by=created_at")


def filtersets() -> list[type]:
    for config in apps.get_app_configs():
        try:
            importlib.import_module(f"{config.name}.filters")
        except ModuleNotFoundError:
            continue
    found, pending = [], [django_filters.FilterSet]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.__module__.split(".")[0] in {c.name for c in apps.get_app_configs()}:
            found.append(cls)
    return found


@pytest.mark.django_db
def test_a_skipped_filterset_would_have_answered_the_queryset_unchanged(rf, admin_user):
    shortcut = [cls for cls in filtersets() if filters._unfiltered_without(cls) is not None]
    assert len(shortcut) >= 5, shortcut  # SIMs, SIM events, subscribers, outages, alerts, ...
    request = rf.get("/", NO_FILTER)
    request.user = admin_user
    for cls in shortcut:
        queryset = cls._meta.model._default_manager.order_by("pk")
        filterset = cls(data=NO_FILTER, queryset=queryset, request=request)
        assert filterset.is_valid(), (cls, filterset.errors)
        assert str(filterset.qs.query) == str(queryset.all().query), cls


def test_a_parameter_a_filter_reads_runs_the_filterset():
    names = filters._unfiltered_without(importlib.import_module("sims.filters").SimFilterSet)
    assert "status" in names and "search" in names
    # A filter of an app's own counts only when it says it skips an empty value.
    sms_filters = importlib.import_module("sms.filters")
    assert "start_date" in filters._unfiltered_without(sms_filters.SmsMessageFilterSet)
    unvouched = type("Unvouched", (sms_filters.DateOrDateTimeFilter,), {"skips_empty": False})
    filterset = type(
        "UnvouchedFilterSet",
        (sms_filters.SmsMessageFilterSet,),
        {"start_date": unvouched(field_name="created_at", lookup_expr="gte")},
    )
    assert filters._unfiltered_without(filterset) is None


@pytest.mark.django_db
def test_sim_list_filters_and_refuses_as_before(make_user):
    user = make_user(Role.VIEWER)
    SimFactory(organization=user.organization, status="Enabled")
    SimFactory(organization=user.organization, status="Disabled")
    client = APIClient()
    client.force_authenticate(user)
    everything = client.get("/api/v1/sims?_nc=1").json()["data"]
    assert len(everything) == 2
    disabled = client.get("/api/v1/sims?status=Disabled").json()["data"]
    assert [sim["status"] for sim in disabled] == ["Disabled"]
    refused = client.get("/api/v1/sims?status=Nope")
    assert refused.status_code == 422
    assert [e["loc"] for e in refused.json()["error"]["details"]["errors"]] == [["status"]]
