"""The console: actions call the services (audited, through PMNL), the dashboard panel counts."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import AuditLog
from accounts.tests.factories import UserFactory
from core.dashboard import DashboardScope, registered_panels
from provisioning.models import CustomerAuthorization, Subscriber
from provisioning.tests.conftest import create_body
from provisioning.tests.factories import ProvisioningRequestFactory


@pytest.fixture
def superuser(db):
    return UserFactory(is_superuser=True, is_staff=True, organization=None)


@pytest.mark.django_db(transaction=True)
def test_deactivate_action_goes_to_pmnl_and_is_audited(pmnl, api, client, superuser):
    body = create_body()
    api.post("/api/v1/subscribers", body, format="json")
    row = Subscriber.objects.get(iccid=body["iccid"])
    client.force_login(superuser)
    response = client.post(
        "/admin/provisioning/subscriber/",
        {"action": "deactivate_selected", "_selected_action": [row.pk]},
    )
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.subscriber_state is False
    assert (
        pmnl.get_subscriber(client_id="fleetops-pmnl", iccid=row.iccid)["subscriber_state"] is False
    )
    entry = AuditLog.objects.get(operation="UPDATE_STATE")
    assert entry.user == superuser and entry.status == "success"


@pytest.mark.django_db
def test_authorization_is_granted_through_the_service(client, superuser, organization):
    user = UserFactory(organization=organization)
    client.force_login(superuser)
    response = client.post(
        "/admin/provisioning/customerauthorization/add/", {"user": user.pk, "cust_id": "9000009"}
    )
    assert response.status_code == 302
    granted = CustomerAuthorization.objects.get(user=user)
    assert granted.cust_id == "9000009" and granted.organization == organization
    assert AuditLog.objects.filter(operation="GRANT_CUSTOMER").exists()


@pytest.mark.django_db
def test_dashboard_panel_counts_today_by_status(organization, other_organization, superuser):
    now = timezone.now()
    ProvisioningRequestFactory(organization=organization, status="completed")
    done = ProvisioningRequestFactory(organization=organization, status="completed")
    done.__class__.objects.filter(pk=done.pk).update(
        created_at=now - timedelta(seconds=4), completed_at=now
    )
    ProvisioningRequestFactory(organization=organization, status="failed", error_message="nope")
    ProvisioningRequestFactory(organization=organization, status="queued", progress=None)
    ProvisioningRequestFactory(organization=other_organization, status="failed")
    panel = next(p for p in registered_panels() if p.key == "provisioning.requests")
    content = panel.build(DashboardScope(user=superuser, organization_ids=[organization.pk]))
    stats = {stat.label: stat.value for stat in content.stats}
    assert stats["Requests"] == 4 and stats["Failed"] == 1 and stats["Open"] == 1
    assert stats["Avg. completion"].endswith(" s")
    assert content.table.rows == [["CREATE", content.table.rows[0][1], "nope"]]
    assert (
        dict(zip(content.chart.labels, content.chart.series[0].values, strict=True))["completed"]
        == 2
    )
