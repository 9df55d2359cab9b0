"""The console: pages render, changes go through the services, staff see their organization."""

from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import Role
from accounts.tests.factories import UserFactory
from core.dashboard import DashboardScope, autodiscover, registered_panels
from outages import services
from outages.models import SlaConfig, TimelineEntry
from outages.tests.factories import OutageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(organization):
    return UserFactory(organization=organization, role=Role.ADMIN, is_staff=True, is_superuser=True)


def console(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_outage_pages_render_with_badges_and_clock(superuser, organization, operator_context):
    running = OutageFactory(
        organization=organization, detected_at=timezone.now() - timedelta(minutes=3)
    )
    done = OutageFactory(
        organization=organization, detected_at=timezone.now() - timedelta(minutes=30)
    )
    services.resolve_outage(outage=done, context=operator_context)
    client = console(superuser)
    page = client.get("/admin/outages/outage/")
    assert page.status_code == 200
    assert running.public_id.encode() in page.content
    assert b"violated" in page.content
    change = client.get(f"/admin/outages/outage/{running.pk}/change/")
    assert change.status_code == 200
    assert b"min left" in change.content


def test_console_resolve_goes_through_the_service(superuser, organization):
    outage = OutageFactory(organization=organization)
    client = console(superuser)
    response = client.post(
        "/admin/outages/outage/",
        {"action": "resolve_selected", "_selected_action": [outage.pk]},
    )
    assert response.status_code == 302
    outage.refresh_from_db()
    assert outage.status == "resolved"
    assert TimelineEntry.objects.filter(
        outage=outage, kind="resolved", actor_name=superuser.username
    ).exists()
    assert outage.sla_result.status == "met"


def test_console_sla_config_makes_a_new_version(superuser, organization):
    client = console(superuser)
    response = client.post(
        "/admin/outages/slaconfig/add/",
        {
            "organization": organization.pk,
            "severity": "critical",
            "threshold_minutes": 20,
            "penalty_per_minute": "100.00",
            "reward_base": "750.00",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    versions = list(
        SlaConfig.objects.filter(organization=organization, severity="critical").values_list(
            "version", "threshold_minutes"
        )
    )
    assert sorted(versions) == [(1, 15), (2, 20)]


def test_staff_see_only_their_organization(organization, other_organization):
    staff = UserFactory(
        organization=organization, role=Role.ADMIN, is_staff=True, is_superuser=False
    )
    from django.contrib.auth.models import Permission

    staff.user_permissions.add(Permission.objects.get(codename="view_outage"))
    theirs = OutageFactory(organization=other_organization, site_name="Foreign Tower")
    mine = OutageFactory(organization=organization, site_name="Home Tower")
    page = console(staff).get("/admin/outages/outage/")
    assert page.status_code == 200
    assert b"Home Tower" in page.content and b"Foreign Tower" not in page.content
    assert console(staff).get(f"/admin/outages/outage/{theirs.pk}/change/").status_code in (
        302,
        404,
    )
    assert mine


def test_dashboard_panels(organization, other_organization, operator_context):
    autodiscover()
    OutageFactory(organization=organization, severity="critical")
    OutageFactory(organization=other_organization, severity="critical")
    panels = {p.key: p for p in registered_panels() if p.group == "Outages & SLA"}
    assert set(panels) == {"outages.active", "outages.sla", "outages.mttr", "outages.rca_overdue"}
    content = panels["outages.active"].build(
        DashboardScope(user=None, organization_ids=[organization.pk])
    )
    assert {s.label: s.value for s in content.stats}["critical"] == 1
    for panel in panels.values():
        panel.build(DashboardScope(user=None, organization_ids=None))


@pytest.mark.parametrize("is_superuser", [False, True])
def test_rca_actions_are_edited_in_the_console(organization, operator_context, is_superuser):
    """An organization's staff (no Django model permissions) see the RCA's actions on its page
    and keep them when they save it (they were hidden, and so deleted); marking one done goes
    through the service, for a superuser too (whose save answered 500)."""
    staff = UserFactory(
        organization=organization,
        role=Role.OPERATOR,
        is_staff=True,
        is_superuser=is_superuser,
    )
    outage = OutageFactory(
        organization=organization, detected_at=timezone.now() - timedelta(minutes=20)
    )
    outage, _ = services.resolve_outage(outage=outage, context=operator_context)
    rca = services.save_rca(
        outage=outage,
        category="power",
        summary="UPS battery failure",
        actions=[{"description": "Replace UPS", "owner": "noc", "due_date": date(2026, 1, 1)}],
        context=operator_context,
    )
    action = rca.actions.get()
    client = console(staff)
    url = f"/admin/outages/rootcauseanalysis/{rca.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    assert b"Replace UPS" in page.content
    prefix = "actions"
    response = client.post(
        url,
        {
            "category": "power",
            "summary": "UPS battery failure, no spare",
            "factors": "Aged equipment",
            f"{prefix}-TOTAL_FORMS": "1",
            f"{prefix}-INITIAL_FORMS": "1",
            f"{prefix}-MIN_NUM_FORMS": "0",
            f"{prefix}-MAX_NUM_FORMS": "1000",
            f"{prefix}-0-id": str(action.pk),
            f"{prefix}-0-rca": str(rca.pk),
            f"{prefix}-0-description": "Replace UPS",
            f"{prefix}-0-owner": "noc",
            f"{prefix}-0-due_date": "2026-01-01",
            f"{prefix}-0-done": "on",
        },
    )
    assert response.status_code == 302, response.content[:3000]
    action.refresh_from_db()
    assert action.done and action.done_at is not None
    rca.refresh_from_db()
    assert rca.summary == "UPS battery failure, no spare"
    assert rca.contributing_factors == ["Aged equipment"]
    assert TimelineEntry.objects.filter(outage=outage, kind="rca_updated").count() == 2


def test_outage_page_shows_its_payment(superuser, organization, operator_context):
    from payments.tests.factories import PaymentFactory

    outage = OutageFactory(
        organization=organization, detected_at=timezone.now() - timedelta(minutes=25)
    )
    outage, _ = services.resolve_outage(outage=outage, context=operator_context)
    client = console(superuser)
    page = client.get(f"/admin/outages/outage/{outage.pk}/change/")
    assert b"no payment yet (contract: not attested)" in page.content
    PaymentFactory(
        organization=organization,
        outage=outage,
        payment_type="penalty",
        amount="1000.0000000",
        status="confirmed",
    )
    page = client.get(f"/admin/outages/outage/{outage.pk}/change/")
    assert b"Penalty of 1,000.00 USDC (confirmed)" in page.content


def outage_form(outage, **changes) -> dict:
    return {
        "status": outage.status,
        "severity": outage.severity,
        "site_name": outage.site_name,
        "site_id": outage.site_id,
        "description": outage.description,
        "root_cause": outage.root_cause or "",
        "resolution_notes": outage.resolution_notes or "",
        "affected_subscribers": outage.affected_subscribers or 0,
        "assignee": "",
        "timeline-TOTAL_FORMS": "0",
        "timeline-INITIAL_FORMS": "0",
        **changes,
    }


def test_a_change_the_service_refuses_is_shown_as_refused_and_changes_nothing(
    organization, operator_context
):
    """An operator may not reopen a resolved outage (an admin's decision): the console says
    why, never "changed successfully", and logs no change."""
    from django.contrib.admin.models import LogEntry

    outage = OutageFactory(organization=organization)
    services.resolve_outage(outage=outage, context=operator_context)
    outage.refresh_from_db()
    operator = UserFactory(organization=organization, role=Role.OPERATOR, is_staff=True)
    response = console(operator).post(
        f"/admin/outages/outage/{outage.pk}/change/",
        outage_form(outage, status="active"),
        follow=True,
    )
    shown = [str(m) for m in response.context["messages"]]
    assert shown and not any("successfully" in m for m in shown), shown
    assert any("admin" in m.lower() for m in shown), shown
    outage.refresh_from_db()
    assert outage.status == "resolved"
    assert not LogEntry.objects.exists()


def test_an_organizations_staff_edit_an_rca_and_its_actions(organization, operator_context):
    from outages.models import RootCauseAnalysis

    outage = OutageFactory(organization=organization)
    services.resolve_outage(outage=outage, context=operator_context)
    outage.refresh_from_db()
    services.save_rca(outage=outage, category="hardware", context=operator_context)
    rca = RootCauseAnalysis.objects.get(outage=outage)
    operator = UserFactory(organization=organization, role=Role.OPERATOR, is_staff=True)
    client = console(operator)
    page = client.get(f"/admin/outages/rootcauseanalysis/{rca.pk}/change/")
    assert page.status_code == 200
    assert "actions-TOTAL_FORMS" in page.content.decode()  # the actions inline is theirs
    response = client.post(
        f"/admin/outages/rootcauseanalysis/{rca.pk}/change/",
        {
            "category": "hardware",
            "summary": "Rectifier failed",
            "factors": "no spare",
            "actions-TOTAL_FORMS": "1",
            "actions-INITIAL_FORMS": "0",
            "actions-0-description": "Stock a spare rectifier",
            "actions-0-owner": "field ops",
            "actions-0-due_date": "2026-12-31",
        },
    )
    assert response.status_code == 302, (
        response.context["adminform"].form.errors,
        [f.formset.errors for f in response.context["inline_admin_formsets"]],
    )
    rca.refresh_from_db()
    assert rca.summary == "Rectifier failed"
    assert [a.description for a in rca.actions.all()] == ["Stock a spare rectifier"]
