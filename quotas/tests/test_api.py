"""Quota endpoints without the upstream: envelope, auth, tenancy and validation."""

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from core.tests.api import GetObjectCases, assert_error_envelope, assert_success_envelope
from quotas.models import Quota, QuotaStatus, QuotaType, TopUp
from sims.tests.factories import SimFactory

pytestmark = pytest.mark.django_db
PACKAGE = 524_288_000


def mirrored_sim(organization):
    sim = SimFactory(organization=organization)
    for quota_type, total, remaining in (
        (QuotaType.DATA, PACKAGE, 209_715_200),
        (QuotaType.SMS, 250, 105),
    ):
        Quota.objects.create(
            sim=sim,
            quota_type=quota_type,
            volume=total,
            remaining=remaining,
            last_volume_added=total,
            status=QuotaStatus.ACTIVE,
            refreshed_at=timezone.now(),
        )
    return sim


class TestDataQuotaEndpoint(GetObjectCases):
    def make_object(self, organization):
        return mirrored_sim(organization)

    def detail_url(self, obj):
        return reverse("quotas-api:quota-data", kwargs={"iccid": obj.iccid})

    def test_fresh_quota_is_served_from_the_mirror_with_seed_fields(self, member, obj):
        data = self.client_as(member).get(self.detail_url(obj)).json()["data"]
        assert data["iccid"] == obj.iccid
        assert data["quota_type"] == "data"
        assert data["volume"] == PACKAGE
        assert data["used_volume"] == PACKAGE - 209_715_200
        assert data["remaining_volume"] == 209_715_200
        assert data["percentage_used"] == 60.0
        assert data["status"] == "Active"
        assert data["threshold_percentage"] == 80
        assert data["threshold_volume"] == 419_430_400
        assert data["threshold_reached"] is False
        assert data["auto_reload"] is False
        assert data["stale"] is False
        assert {"last_volume_added", "last_status_change_date", "expiry_date"} <= set(data)


class TestSmsQuotaEndpoint(GetObjectCases):
    def make_object(self, organization):
        return mirrored_sim(organization)

    def detail_url(self, obj):
        return reverse("quotas-api:quota-sms", kwargs={"iccid": obj.iccid})

    def test_sms_quota_fields(self, member, obj):
        data = self.client_as(member).get(self.detail_url(obj)).json()["data"]
        assert (data["volume"], data["used_volume"], data["remaining_volume"]) == (250, 145, 105)
        assert data["percentage_used"] == 58.0


def test_invalid_iccid_is_400(operator_client):
    response = operator_client.get("/api/v1/sims/12345/quota/data")
    assert response.status_code == 400
    assert_error_envelope(response.json(), "INVALID_ICCID")


@pytest.mark.parametrize(
    ("quota_type", "volume"),
    [("data", 104_857_600), ("data", 0), ("data", -PACKAGE), ("sms", 100), ("data", 11 * PACKAGE)],
)
def test_volume_that_is_not_whole_packages_is_422(
    operator_client, organization, quota_type, volume
):
    sim = SimFactory(organization=organization)
    response = operator_client.post(
        f"/api/v1/sims/{sim.iccid}/topup", {"quota_type": quota_type, "volume": volume}
    )
    assert response.status_code == 422, response.content
    body = response.json()
    assert_error_envelope(body, "VALIDATION_ERROR")
    error = body["error"]["details"]["errors"][0]
    assert error["loc"] == ["volume"]
    if volume > 0:
        size = "524288000" if quota_type == "data" else "250"
        assert size in error["msg"]
    assert not TopUp.objects.exists()


def test_viewer_cannot_top_up(viewer_client, organization):
    sim = SimFactory(organization=organization)
    response = viewer_client.post(
        f"/api/v1/sims/{sim.iccid}/topup", {"quota_type": "data", "volume": PACKAGE}
    )
    assert response.status_code == 403


def test_top_up_of_other_organizations_sim_is_404(operator_client, other_organization):
    sim = SimFactory(organization=other_organization)
    response = operator_client.post(
        f"/api/v1/sims/{sim.iccid}/topup", {"quota_type": "data", "volume": PACKAGE}
    )
    assert response.status_code == 404
    assert not TopUp.objects.exists()


def test_bulk_top_up_validates_every_item(operator_client, organization):
    sim = SimFactory(organization=organization)
    response = operator_client.post(
        "/api/v1/sims/topup",
        {
            "sims": [
                {"iccid": sim.iccid, "quota_type": "data", "volume": PACKAGE},
                {"iccid": "123", "quota_type": "data", "volume": PACKAGE},
                {"iccid": sim.iccid, "quota_type": "sms", "volume": 100},
            ]
        },
    )
    assert response.status_code == 422
    locs = [e["loc"] for e in response.json()["error"]["details"]["errors"]]
    assert ["sims", 1, "iccid"] in locs
    assert ["sims", 2, "volume"] in locs


def test_bulk_top_up_refuses_the_same_sim_twice(operator_client, organization):
    sim = SimFactory(organization=organization)
    item = {"iccid": sim.iccid, "quota_type": "data", "volume": PACKAGE}
    response = operator_client.post("/api/v1/sims/topup", {"sims": [item, item]})
    assert response.status_code == 422


def test_auto_topup_amount_must_be_whole_packages(operator_client, organization):
    sim = SimFactory(organization=organization)
    response = operator_client.post(
        "/api/v1/sims/auto-topup",
        {"sims": [sim.iccid], "threshold_percentage": 80, "topup_amount": 104_857_600},
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"]["errors"][0]["loc"] == ["topup_amount"]


def test_viewer_cannot_configure_auto_topup(client_for, organization):
    sim = SimFactory(organization=organization)
    response = client_for(Role.VIEWER).post(
        "/api/v1/sims/auto-topup",
        {"sims": [sim.iccid], "threshold_percentage": 80, "topup_amount": PACKAGE},
    )
    assert response.status_code == 403
    assert_error_envelope(response.json(), "FORBIDDEN")


def test_quota_answer_is_enveloped(operator_client, organization):
    sim = mirrored_sim(organization)
    response = operator_client.get(f"/api/v1/sims/{sim.iccid}/quota/sms")
    assert_success_envelope(response.json())
