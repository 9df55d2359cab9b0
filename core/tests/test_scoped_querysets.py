"""A view's class queryset is scoped to an organization once per process and copied for each
request after that (``core.viewsets.TenantScopedMixin``): the copy must answer exactly what
scoping it anew would, for every organization, and never rows kept from an earlier request."""

import pytest
from rest_framework.test import APIClient

from accounts.models import Role
from accounts.tests.factories import UserFactory
from core import viewsets
from sims.models import Sim
from sims.tests.factories import SimFactory

pytestmark = pytest.mark.django_db


def client_of(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def listed(client) -> set[str]:
    # Each read its own path, so no answer comes from the read cache.
    listed.calls = getattr(listed, "calls", 0) + 1
    answer = client.get(f"/api/v1/sims?page_size=100&_n={listed.calls}")
    assert answer.status_code == 200
    return {row["iccid"] for row in answer.json()["data"]}


def test_each_organization_sees_its_own_rows_request_after_request(
    organization, other_organization
):
    ours = {sim.iccid for sim in SimFactory.create_batch(2, organization=organization)}
    theirs = {sim.iccid for sim in SimFactory.create_batch(3, organization=other_organization)}
    member = client_of(UserFactory(organization=organization, role=Role.VIEWER))
    stranger = client_of(UserFactory(organization=other_organization, role=Role.VIEWER))
    for _ in range(3):  # alternating, so each reads the scoped queryset the other left
        assert listed(member) == ours
        assert listed(stranger) == theirs
    scoped = {key[2] for key in viewsets._scoped_querysets if key[0].model is Sim}
    assert {organization.pk, other_organization.pk} <= scoped

    # Rows are read anew each time: the kept queryset is never evaluated.
    ours.add(SimFactory(organization=organization).iccid)
    assert listed(member) == ours
    assert all(kept._result_cache is None for kept in viewsets._scoped_querysets.values())


def test_a_member_moved_to_another_organization_sees_that_one(organization, other_organization):
    SimFactory(organization=organization)
    theirs = {SimFactory(organization=other_organization).iccid}
    user = UserFactory(organization=organization, role=Role.VIEWER)
    client = client_of(user)
    assert listed(client) != theirs
    user.organization = other_organization
    user.save()
    assert listed(client) == theirs


def test_a_platform_superuser_and_a_member_of_none_are_scoped_as_always(organization):
    SimFactory.create_batch(2, organization=organization)
    superuser = client_of(UserFactory(organization=None, is_superuser=True, is_staff=True))
    assert len(listed(superuser)) == 2
    nobody = client_of(UserFactory(organization=None, role=Role.VIEWER))
    answer = nobody.get("/api/v1/sims")
    assert answer.status_code == 200 and answer.json()["data"] == []
