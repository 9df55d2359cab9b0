import pytest
from rest_framework.test import APIClient

from outages.demo import REPORT_MONTHS, SEED_EXAMPLES, seed_demo_outages
from outages.models import Outage, RootCauseAnalysis, SlaReport, SlaResult

pytestmark = pytest.mark.django_db


def test_demo_history_is_made_once_through_the_services(organization):
    made = seed_demo_outages(organization=organization, count=20, days=30)
    assert made == 20 + len(SEED_EXAMPLES)
    assert Outage.objects.filter(organization=organization).count() == made
    assert Outage.objects.filter(resolved_at__isnull=True).count() >= 6
    assert SlaResult.objects.count() == Outage.objects.filter(resolved_at__isnull=False).count()
    assert RootCauseAnalysis.objects.exists()
    # The monthly job's last three reports, downloadable from the console.
    assert SlaReport.objects.filter(organization=organization).count() == REPORT_MONTHS
    assert seed_demo_outages(organization=organization, count=20, days=30) == 0
    assert Outage.objects.count() == made


def test_seed_004_examples_work_as_written_against_the_demo(organization, operator):
    """The demo's first outages are seed 004's: its detail example reads OUT001 (met in 15
    minutes, 750.00, good) and its PUT example resolves OUT002 at 10:40 (25 minutes of 30)."""
    seed_demo_outages(organization=organization, count=10, days=10)
    client = APIClient()
    client.force_authenticate(operator)

    detail = client.get("/api/v1/outages/OUT001").json()["data"]
    assert (detail["site_name"], detail["site_id"], detail["root_cause"]) == (
        "Cell Tower Alpha",
        "SITE123",
        "UPS battery failure",
    )
    assert detail["location"] == {"latitude": 9.082, "longitude": 8.675}
    assert detail["assigned_to"] == "user123" and detail["created_by"] == "system"
    sla = detail["sla_status"]
    assert (sla["status"], sla["mttr_minutes"], sla["threshold_minutes"]) == ("met", 15, 15)
    assert (sla["penalty_amount"], sla["reward_amount"], sla["performance_rating"]) == (
        0,
        750.00,
        "good",
    )
    assert detail["timeline"][0]["event"] == "Outage detected"

    response = client.put(
        "/api/v1/outages/OUT002",
        {
            "status": "resolved",
            "resolved_at": "2026-01-16T10:40:00Z",
            "root_cause": "Fiber cut",
            "resolution_notes": "Fiber repaired, services restored",
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()["data"]
    assert (body["id"], body["status"], body["sla_triggered"]) == ("OUT000002", "resolved", True)
    assert body["message"] == "Outage updated successfully"
    assert (body["sla_status"]["mttr_minutes"], body["sla_status"]["amount"]) == (25, 750.00)
