"""Alerts in the console: actions through the services, one organization's staff only."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from accounts.models import AuditLog, Role
from accounts.tests.factories import UserFactory
from alerts import services
from alerts.dashboard import open_alerts
from alerts.models import Alert, AlertStatus
from core.context import Context
from core.dashboard import DashboardScope
from core.events import dispatch_pending, publish

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/alerts/alert/"


def staff_of(organization):
    user = UserFactory(organization=organization, role=Role.OPERATOR, is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="alerts", codename__startswith="view_")
    )
    client = Client()
    client.force_login(user)
    return client, user


def alert_of(organization, subject):
    publish("quota.depleted", organization_id=organization.pk, subject=subject, data={})
    dispatch_pending()
    return Alert.objects.get(organization=organization, subject=subject)


def test_staff_see_and_acknowledge_only_their_organizations_alerts(
    organization, other_organization
):
    ours = alert_of(organization, "sim:ours")
    theirs = alert_of(other_organization, "sim:theirs")
    client, user = staff_of(organization)

    page = client.get(CHANGELIST)
    assert page.status_code == 200
    assert b"sim:ours" in page.content and b"sim:theirs" not in page.content
    assert client.get(f"{CHANGELIST}{theirs.pk}/change/").status_code == 302  # not found

    client.post(
        CHANGELIST,
        {"action": "acknowledge_selected", "_selected_action": [ours.pk, theirs.pk]},
        follow=True,
    )
    ours.refresh_from_db()
    theirs.refresh_from_db()
    assert ours.status == AlertStatus.ACKNOWLEDGED and ours.acknowledged_by == user
    assert theirs.status == AlertStatus.OPEN
    assert AuditLog.objects.filter(operation="ACKNOWLEDGE_ALERT").count() == 1


def test_the_dashboard_panel_counts_the_viewers_alerts_by_type(organization, other_organization):
    alert_of(organization, "sim:1")
    alert_of(organization, "sim:2")
    alert_of(other_organization, "sim:3")
    services.acknowledge(alert=Alert.objects.get(subject="sim:2"), context=Context())

    content = open_alerts(DashboardScope(user=None, organization_ids=[organization.pk]))
    assert content.stats[0].value == 2
    assert content.chart.labels == ["quota.depleted"]
    assert content.chart.series[0].values == [2]
    assert content.stats[0].url.startswith("/admin/alerts/alert/")

    everyone = open_alerts(DashboardScope(user=None, organization_ids=None))
    assert everyone.stats[0].value == 3


def test_a_viewer_reads_the_inbox_but_is_offered_no_action(organization):
    alert = alert_of(organization, "sim:ours")
    viewer = UserFactory(organization=organization, role=Role.VIEWER, is_staff=True)
    client = Client()
    client.force_login(viewer)
    page = client.get(CHANGELIST).content.decode()
    assert "sim:ours" in page and "acknowledge_selected" not in page
    assert "Alerts" in client.get("/admin/").content.decode()  # in the staff's navigation
    client.post(CHANGELIST, {"action": "acknowledge_selected", "_selected_action": [alert.pk]})
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN
    webhooks = client.get("/admin/alerts/webhook/").content.decode()
    assert "send_test_selected" not in webhooks and "disable_selected" not in webhooks
