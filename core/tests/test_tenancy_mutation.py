"""The tenancy cases of ``core.tests.api`` can fail: with tenant scoping removed
(``core.tenancy.scope_to_organization`` answering its queryset whole, wherever it was imported),
every endpoint test class built on them must fail its tenancy case, for the reason it checks.

A class is found by its test module naming the generic cases, so a new endpoint test class is
covered without being listed here.
"""

import importlib
import sys
from pathlib import Path

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from core import tenancy
from core.tests.api import GetObjectCases, ListObjectsCases, NestedListObjectsCases

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR)
GENERIC_CASES = ("ObjectsCases", "ReadOnlyAPICases", "APICases")
# Cases whose scoping is not scope_to_organization's, so removing it leaves them passing.
SCOPED_ELSEWHERE = {
    # Outage ids (OUT000001) are numbered per organization: the detail is looked up in the
    # caller's organization by id (outages.api.views), another's is never reached.
    "TestOutageEndpoints.test_get_object_of_other_organization_is_404",
}


def endpoint_test_classes() -> list[type]:
    """Every class of a test module that builds on the generic cases (imported here without
    binding them in this module, so pytest does not collect them twice)."""
    found = []
    for path in sorted(ROOT.glob("*/tests/test_*.py")):
        text = path.read_text()
        if "from core.tests.api import" not in text or not any(c in text for c in GENERIC_CASES):
            continue
        module = importlib.import_module(f"{path.parent.parent.name}.tests.{path.stem}")
        found += [
            value
            for value in vars(module).values()
            if isinstance(value, type)
            and value.__module__ == module.__name__
            and issubclass(value, GetObjectCases | ListObjectsCases)
        ]
    return found


def tenancy_cases() -> list:
    """(class, case) for each tenancy case a class runs: another organization's object (404),
    its rows in a list (absent), its parent of a nested list (404)."""
    cases = []
    for cls in endpoint_test_classes():
        names = []
        if issubclass(cls, GetObjectCases):
            names.append("test_get_object_of_other_organization_is_404")
        if issubclass(cls, NestedListObjectsCases):
            names.append("test_list_under_another_organizations_parent_is_404")
        elif issubclass(cls, ListObjectsCases):
            names.append("test_list_shows_own_objects_and_none_of_another_organization")
        cases += [
            pytest.param(cls, name, id=f"{cls.__name__}.{name}")
            for name in names
            if f"{cls.__name__}.{name}" not in SCOPED_ELSEWHERE
        ]
    return cases


@pytest.fixture
def without_tenant_scoping(monkeypatch):
    """``scope_to_organization`` replaced, in every module that imported it, by one that
    scopes nothing."""
    original = tenancy.scope_to_organization

    def unscoped(queryset, user, field="organization"):
        return queryset

    for module in list(sys.modules.values()):
        if getattr(module, "scope_to_organization", None) is original:
            monkeypatch.setattr(module, "scope_to_organization", unscoped)


def test_every_endpoint_test_class_is_found():
    names = {cls.__name__ for cls in endpoint_test_classes()}
    assert {"TestSimAPI", "TestJobAPI", "TestAuditList", "TestAPIKeyList"} <= names
    assert {"TestOrganizationAPI", "TestSimEventList", "TestSmsListEndpoint"} <= names


class RecordingClient(APIClient):
    """An API client that keeps every response it gets (``answers``)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.answers = []

    def request(self, **kwargs):
        response = super().request(**kwargs)
        self.answers.append(response)
        return response


@pytest.mark.parametrize(("cls", "case"), tenancy_cases())
def test_the_tenancy_case_fails_without_tenant_scoping(
    cls, case, organization, other_organization, without_tenant_scoping
):
    instance = cls()
    client = RecordingClient()

    def client_as(user):
        client.force_authenticate(user)
        return client

    instance.client_as = client_as
    if case == "test_get_object_of_other_organization_is_404":
        arguments = {"obj": instance.make_object(organization)}
    else:
        member = UserFactory(organization=organization, role=cls.write_role)
        arguments = {"member": member, "organization": organization}
    with pytest.raises(AssertionError) as failure:
        getattr(instance, case)(other_organization=other_organization, **arguments)
    if case == "test_list_shows_own_objects_and_none_of_another_organization":
        assert "another organization's objects are listed" in str(failure.value)
    else:  # another organization's object, or parent, was served instead of a 404
        assert client.answers[-1].status_code == 200
