"""The console: actions call the services (audited, through PMNL), the dashboard panel counts."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import AuditLog, Role
from accounts.tests.factories import UserFactory
from core.dashboard import DashboardScope, registered_panels
from provisioning.models import CustomerAuthorization, Subscriber
from provisioning.tests.conftest import create_body
from provisioning.tests.factories import ProvisioningRequestFactory, SubscriberFactory


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


@pytest.mark.django_db
def test_an_organization_admin_maps_only_its_own_users_and_sees_only_its_mappings(
    client, organization, other_organization
):
    admin = UserFactory(organization=organization, role=Role.ADMIN, is_staff=True)
    ours = UserFactory(organization=organization)
    theirs = UserFactory(organization=other_organization)
    CustomerAuthorization.objects.create(
        organization=other_organization, user=theirs, cust_id="9111111"
    )
    client.force_login(admin)

    page = client.get("/admin/provisioning/customerauthorization/")
    assert page.status_code == 200 and b"9111111" not in page.content
    assert b"Provisioning" in client.get("/admin/").content  # in the staff's navigation
    response = client.post(
        "/admin/provisioning/customerauthorization/add/", {"user": ours.pk, "cust_id": "9000009"}
    )
    assert response.status_code == 302
    assert CustomerAuthorization.objects.get(user=ours).granted_by == admin
    refused = client.post(
        "/admin/provisioning/customerauthorization/add/", {"user": theirs.pk, "cust_id": "9000009"}
    )
    assert refused.status_code == 200  # not a user this admin may pick
    assert not CustomerAuthorization.objects.filter(user=theirs, cust_id="9000009").exists()
    accounts = client.get("/admin/provisioning/pmnlaccount/")  # its own organization's only
    assert accounts.status_code == 200 and other_organization.name.encode() not in accounts.content


@pytest.mark.django_db
def test_a_viewer_is_offered_no_action_that_changes_pmnl(client, organization):
    SubscriberFactory(organization=organization)
    viewer = UserFactory(organization=organization, role=Role.VIEWER, is_staff=True)
    operator = UserFactory(organization=organization, role=Role.OPERATOR, is_staff=True)
    client.force_login(viewer)
    page = client.get("/admin/provisioning/subscriber/").content.decode()
    # No console action for a viewer (core.console: each changes something or calls PMNL).
    assert "refresh_selected" not in page
    assert "deactivate_selected" not in page and "delete_selected_at_pmnl" not in page
    client.force_login(operator)
    assert "deactivate_selected" in client.get("/admin/provisioning/subscriber/").content.decode()
