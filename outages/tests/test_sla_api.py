"""SLA status, calculation (idempotent) and versioned terms."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Role
from accounts.tests.factories import UserFactory
from core.tests.api import assert_error_envelope
from outages import services
from outages.models import OutageEvent, SlaConfig, SlaResult, TimelineEntry
from outages.tests.factories import OutageFactory

pytestmark = pytest.mark.django_db
CONFIGS = "/api/v1/sla/configs"


def client_as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def resolved_outage(organization, context, minutes, severity="critical"):
    detected = timezone.now() - timedelta(hours=1)
    outage = OutageFactory(organization=organization, severity=severity, detected_at=detected)
    outage, _ = services.resolve_outage(
        outage=outage,
        context=context,
        resolved_at=detected + timedelta(minutes=minutes, seconds=20),
    )
    return outage


def test_seed_configs_shape_and_defaults(operator):
    body = client_as(operator).get(CONFIGS).json()["data"]
    assert list(body) == ["critical", "high", "medium", "low"]
    assert body["critical"]["threshold_minutes"] == 15
    assert body["critical"]["penalty_per_minute"] == 100.0
    assert body["critical"]["reward_base"] == 750.0
    assert body["low"]["reward_base"] == 600.0
    assert {c["version"] for c in body.values()} == {1}


def test_seed_status_of_a_violated_outage(operator, organization, operator_context):
    outage = resolved_outage(organization, operator_context, 25)
    data = client_as(operator).get(f"/api/v1/sla/status/{outage.public_id}").json()["data"]
    assert data == {
        **data,
        "outage_id": outage.public_id,
        "status": "violated",
        "mttr_minutes": 25,
        "threshold_minutes": 15,
        "severity": "critical",
        "penalty_amount": 1000.0,
        "reward_amount": 0.0,
        "performance_rating": "poor",
        "payment_type": "penalty",
        "smart_contract_invoked": False,
        "contract_tx_hash": None,
        "payment_executed": False,
        "payment_tx_hash": None,
        "config_version": 1,
    }


def test_seed_calculate_is_idempotent(operator, organization, operator_context):
    outage = resolved_outage(organization, operator_context, 15)
    client = client_as(operator)
    first = client.post("/api/v1/sla/calculate", {"outage_id": outage.public_id}, format="json")
    again = client.post("/api/v1/sla/calculate", {"outage_id": outage.public_id}, format="json")
    assert first.status_code == again.status_code == 200
    result = first.json()["data"]["sla_result"]
    assert result == {
        "status": "met",
        "mttr_minutes": 15,
        "threshold_minutes": 15,
        "amount": 750.0,
        "payment_type": "reward",
        "performance_rating": "good",
        "config_version": 1,
    }
    assert again.json()["data"]["sla_result"] == result
    assert first.json()["data"]["contract_invocation"]["status"] == "not_attested"
    assert SlaResult.objects.filter(outage=outage).count() == 1
    assert OutageEvent.objects.filter(outage=outage, kind="sla.calculated").count() == 1
    assert TimelineEntry.objects.filter(outage=outage, kind="sla_evaluated").count() == 1


def test_evaluation_after_a_config_change_keeps_the_recorded_version(
    organization, operator_context, admin_context
):
    outage = resolved_outage(organization, operator_context, 25)
    services.change_sla_config(
        organization=organization,
        severity="critical",
        changes={"threshold_minutes": 30},
        context=admin_context,
    )
    result, recorded = services.evaluate_sla(outage=outage, context=operator_context)
    assert not recorded
    assert (result.status, result.amount, result.config.version) == (
        "violated",
        Decimal("-1000.00"),
        1,
    )
    later = resolved_outage(organization, operator_context, 25)
    assert later.sla_result.status == "met"
    assert later.sla_result.config.version == 2


def test_calculate_refuses_an_unresolved_outage(operator, organization):
    outage = OutageFactory(organization=organization)
    response = client_as(operator).post(
        "/api/v1/sla/calculate", {"outage_id": outage.public_id}, format="json"
    )
    assert response.status_code == 409
    assert_error_envelope(response.json(), "CONFLICT")
    assert not SlaResult.objects.exists()


def test_status_of_a_running_outage(operator, organization):
    outage = OutageFactory(
        organization=organization,
        severity="high",
        detected_at=timezone.now() - timedelta(minutes=25),
    )
    data = client_as(operator).get(f"/api/v1/sla/status/{outage.public_id}").json()["data"]
    assert data["status"] == "in_progress"
    assert data["time_remaining_minutes"] == 5
    assert data["at_risk"] is True and data["breached"] is False


def test_admin_change_makes_a_new_version_and_keeps_the_old(admin, organization):
    client = client_as(admin)
    response = client.put(
        f"{CONFIGS}/critical", {"threshold_minutes": 20, "reward_base": "800.50"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["data"]["version"] == 2
    assert response.json()["data"]["reward_base"] == 800.5
    client.put(f"{CONFIGS}/critical", {"penalty_per_minute": 120}, format="json")
    versions = client.get(f"{CONFIGS}/critical").json()["data"]
    assert [(v["version"], v["threshold_minutes"], v["penalty_per_minute"]) for v in versions] == [
        (3, 20, 120.0),
        (2, 20, 100.0),
        (1, 15, 100.0),
    ]
    assert client.get(CONFIGS).json()["data"]["critical"]["version"] == 3
    # The same terms again make no new version.
    client.put(f"{CONFIGS}/critical", {"penalty_per_minute": 120}, format="json")
    assert SlaConfig.objects.filter(organization=organization, severity="critical").count() == 3


@pytest.mark.parametrize(
    ("body", "field", "ok"),
    [
        ({"threshold_minutes": 1}, "threshold_minutes", True),
        ({"threshold_minutes": 1440}, "threshold_minutes", True),
        ({"threshold_minutes": 0}, "threshold_minutes", False),
        ({"threshold_minutes": 1441}, "threshold_minutes", False),
        ({"penalty_per_minute": 1}, "penalty_per_minute", True),
        ({"penalty_per_minute": 10000}, "penalty_per_minute", True),
        ({"penalty_per_minute": "0.99"}, "penalty_per_minute", False),
        ({"penalty_per_minute": "10000.01"}, "penalty_per_minute", False),
        ({"reward_base": 100000}, "reward_base", True),
        ({"reward_base": "100000.01"}, "reward_base", False),
        ({"reward_base": "0.5"}, "reward_base", False),
    ],
)
def test_config_bounds(admin, organization, body, field, ok):
    response = client_as(admin).put(f"{CONFIGS}/high", body, format="json")
    if ok:
        assert response.status_code == 200, response.content
    else:
        assert response.status_code == 422
        assert response.json()["error"]["details"]["field"] == field
        assert not SlaConfig.objects.filter(organization=organization, version=2).exists()


def test_service_enforces_bounds_for_every_caller(organization, admin_context):
    from core.errors import InvalidInput

    with pytest.raises(InvalidInput):
        services.change_sla_config(
            organization=organization,
            severity="low",
            changes={"reward_base": "0"},
            context=admin_context,
        )


def test_only_admins_change_terms(operator, organization):
    response = client_as(operator).put(
        f"{CONFIGS}/critical", {"threshold_minutes": 20}, format="json"
    )
    assert response.status_code == 403
    assert not SlaConfig.objects.filter(version=2).exists()


def test_configs_are_per_organization(admin, organization, other_organization):
    client_as(admin).put(f"{CONFIGS}/critical", {"threshold_minutes": 45}, format="json")
    stranger = UserFactory(organization=other_organization, role=Role.VIEWER)
    assert client_as(stranger).get(CONFIGS).json()["data"]["critical"]["threshold_minutes"] == 15


def test_unknown_severity(admin):
    response = client_as(admin).put(f"{CONFIGS}/urgent", {"threshold_minutes": 20}, format="json")
    assert response.status_code == 422
    assert response.json()["error"]["details"]["allowed_values"] == [
        "critical",
        "high",
        "medium",
        "low",
    ]
