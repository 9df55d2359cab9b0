"""Organization-scoped requests by a platform superuser name their organization
(``organization_id``) or are refused with 422, never written to no organization (a 500)."""

import pytest
from rest_framework.test import APIClient

from accounts.models import Role, User
from accounts.tests.factories import UserFactory
from core.models import Job
from sims.models import LimitSet

ICCID = "8988228066612345678"

# Every organization-scoped request whose organization is not the one of an object in its path.
SCOPED_REQUESTS = [
    ("post", "/api/v1/sims/sync-all", {}),
    ("post", "/api/v1/sims/limits", {"daily_sms_limit": 5}),
    ("get", "/api/v1/sims/limits", None),
    ("post", "/api/v1/sims", {"sims": [{"iccid": ICCID, "label": "x"}]}),
    ("post", "/api/v1/orders", {"items": [{"product_id": 1, "quantity": 1}]}),
    ("get", "/api/v1/products", None),
    (
        "post",
        "/api/v1/sims/topup",
        {"sims": [{"iccid": ICCID, "quota_type": "data", "volume": 524288000}]},
    ),
    (
        "post",
        "/api/v1/sims/auto-topup",
        {
            "sims": [ICCID],
            "quota_type": "data",
            "threshold_percentage": 80,
            "topup_amount": 524288000,
            "enabled": True,
        },
    ),
    ("post", "/api/v1/auth/register", {"username": "newcomer", "password": "Str0ng-pass-123!"}),
]


def client_as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def root(db):
    """A platform superuser who belongs to no organization."""
    return client_as(UserFactory(organization=None, is_superuser=True, role=Role.ADMIN))


@pytest.mark.parametrize(("method", "path", "body"), SCOPED_REQUESTS)
def test_superuser_without_organization_must_name_one(root, onence_simulator, method, path, body):
    response = getattr(root, method)(path, body, format="json")

    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert error["details"]["errors"][0]["loc"] == ["organization_id"]
    assert not LimitSet.objects.exists()
    assert not Job.objects.exists()
    assert not User.objects.filter(username="newcomer").exists()


def test_superuser_sets_limits_of_the_organization_it_names(root, organization):
    response = root.post(
        f"/api/v1/sims/limits?organization_id={organization.pk}",
        {"daily_sms_limit": 5},
        format="json",
    )

    assert response.status_code == 200, response.content
    limits = LimitSet.objects.get()
    assert (limits.organization, limits.daily_sms_limit) == (organization, 5)


def test_superuser_names_the_organization_in_the_body(root, organization, onence_simulator):
    response = root.post(
        "/api/v1/sims/sync-all", {"organization_id": organization.pk}, format="json"
    )

    assert response.status_code == 202, response.content
    assert Job.objects.get(pk=response.json()["data"]["job_id"]).organization == organization


def test_superuser_registers_a_user_in_the_organization_it_names(root, organization):
    response = root.post(
        "/api/v1/auth/register",
        {
            "username": "newcomer",
            "password": "Str0ng-pass-123!",
            "organization_id": organization.pk,
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    assert User.objects.get(username="newcomer").organization == organization


@pytest.mark.parametrize("named", [999999, "abc", True])
def test_unknown_organization_is_422(root, named):
    response = root.post(
        "/api/v1/sims/limits", {"organization_id": named, "daily_sms_limit": 5}, format="json"
    )

    assert response.status_code == 422, response.content
    assert response.json()["error"]["details"]["errors"][0]["loc"] == ["organization_id"]
    assert not LimitSet.objects.exists()


def test_member_acts_for_its_own_organization_only(client_for, organization, other_organization):
    client = client_for(Role.ADMIN)

    foreign = client.post(
        f"/api/v1/sims/limits?organization_id={other_organization.pk}",
        {"daily_sms_limit": 5},
        format="json",
    )
    own = client.post(
        f"/api/v1/sims/limits?organization_id={organization.pk}",
        {"daily_sms_limit": 7},
        format="json",
    )

    assert foreign.status_code == 422
    assert own.status_code == 200
    assert list(LimitSet.objects.values_list("organization", "daily_sms_limit")) == [
        (organization.pk, 7)
    ]


def test_superuser_with_an_organization_acts_for_it_by_default(client_for, organization):
    client = client_for(Role.ADMIN, is_superuser=True)

    response = client.post("/api/v1/sims/limits", {"daily_sms_limit": 5}, format="json")

    assert response.status_code == 200
    assert LimitSet.objects.get().organization == organization
