"""The console: its dashboard, navigation and tenancy on every page.

A staff member of one organization is pointed at another organization's rows on every console
page (list, change page, actions, autocomplete, dashboard) and must find none of them.
"""

import re

import pytest
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.test import Client
from django.urls import reverse

from accounts.models import Role
from accounts.tests.factories import UserFactory
from core.console import ConsoleAdmin
from core.dashboard import registered_panels
from core.models import Job
from core.tests.console_fleet import two_fleets
from sims.models import LimitSet, Sim, SimStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def fleets():
    return two_fleets()


@pytest.fixture
def member(fleets):
    client = Client()
    client.force_login(fleets[0].user)
    return client


@pytest.fixture
def superuser_client(db):
    client = Client()
    client.force_login(UserFactory(organization=None, is_staff=True, is_superuser=True))
    return client


def tenant_admins():
    return [
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if isinstance(model_admin, ConsoleAdmin) and model_admin.tenant_field is not None
    ]


def changelist(model):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def change_page(obj):
    meta = obj._meta
    # As the admin's own links do: a string pk's "_XX" would otherwise be read as an escape
    # (a job id "job_40..." reached "job@...": not found).
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[quote(obj.pk)])


def test_every_tenant_page_lists_the_members_rows_and_not_the_others(fleets, member):
    own, other = fleets
    checked = 0
    for model, _ in tenant_admins():
        if model not in own.objects:
            continue
        page = member.get(changelist(model) + "?all=")
        assert page.status_code == 200, model
        shown = {obj.pk for obj in page.context["cl"].result_list}
        assert own.objects[model].pk in shown, model
        assert other.objects[model].pk not in shown, model
        checked += 1
    assert checked >= 12


def test_another_organizations_change_pages_are_not_found(fleets, member):
    own, other = fleets
    for model, _ in tenant_admins():
        if model not in own.objects:
            continue
        assert member.get(change_page(own.objects[model])).status_code == 200, model
        response = member.get(change_page(other.objects[model]))
        # The admin answers a row outside the queryset with a redirect home ("doesn't exist").
        assert response.status_code == 302, model
        assert response.url == reverse("admin:index")


def test_actions_on_another_organizations_sims_do_nothing(fleets, member):
    other = fleets[1]
    target = other.sims[0]
    response = member.post(
        changelist(Sim),
        {"action": "disable_selected", "_selected_action": [target.pk]},
        follow=True,
    )
    assert response.status_code == 200
    target.refresh_from_db()
    assert target.status == SimStatus.ENABLED
    assert not Job.objects.filter(kind="sims.configure").exists()
    shown = " ".join(str(m) for m in response.context["messages"])
    assert "None of the selected SIMs" in shown


def test_operations_on_another_organizations_sim_are_not_found(fleets, member):
    other_sim = fleets[1].sims[0]
    for operation in ("sync", "reset", "disable", "topup", "sms"):
        url = reverse("admin:sims_sim_operate", args=[other_sim.pk, operation])
        assert member.post(url, {"confirmed": "yes"}).status_code == 404


def test_autocomplete_offers_only_the_members_sims(fleets, member):
    own, other = fleets
    response = member.get(
        reverse("admin:autocomplete"),
        {"app_label": "sims", "model_name": "simevent", "field_name": "sim", "term": ""},
    )
    assert response.status_code == 200
    ids = {int(row["id"]) for row in response.json()["results"]}
    assert {sim.pk for sim in own.sims} <= ids
    assert not ids & {sim.pk for sim in other.sims}


def test_foreign_key_choices_in_forms_are_the_members_own(fleets, member):
    own = fleets[0]
    page = member.get(reverse("admin:sims_limitset_add"))
    assert page.status_code == 200
    organizations = page.context["adminform"].form.fields["organization"].queryset
    assert list(organizations) == [own.organization]


def test_the_members_filters_offer_only_their_tags_and_no_organization(fleets, member):
    page = member.get(changelist(Sim))
    body = page.content.decode()
    assert "?tag=north" in body
    assert "?tag=south" not in body
    assert "organization__id__exact" not in body


def test_a_superuser_sees_every_organization_and_filters_by_it(fleets, superuser_client):
    own, other = fleets
    page = superuser_client.get(changelist(Sim))
    shown = {sim.pk for sim in page.context["cl"].result_list}
    assert {own.sims[0].pk, other.sims[0].pk} <= shown
    assert "organization__id__exact" in page.content.decode()
    page = superuser_client.get(changelist(Sim), {"organization__id__exact": own.organization.pk})
    shown = {sim.pk for sim in page.context["cl"].result_list}
    assert shown == {sim.pk for sim in own.sims}


def test_the_dashboard_counts_only_the_members_organization(fleets, member):
    page = member.get(reverse("admin:index"))
    assert page.status_code == 200
    body = page.content.decode()
    for panel in registered_panels():
        assert f'data-panel="{panel.key}"' in body, panel.key
    assert "could not be drawn" not in body
    groups = dict(page.context["panel_groups"])
    status = next(p for p in groups["Fleet"] if p.panel.key == "sims.status")
    assert status.content.stats[0].value == "3"  # not 6: the other organization's are absent
    connectivity = next(p for p in groups["Fleet"] if p.panel.key == "sims.connectivity")
    online, offline, not_seen = (stat.value for stat in connectivity.content.stats)
    assert (online, offline, not_seen) == ("2", "1", "1")
    top = next(p for p in groups["Usage & quotas"] if p.panel.key == "usage.top")
    assert {row[0] for row in top.content.table.rows} <= {sim.iccid for sim in fleets[0].sims}
    assert "south" not in body


def test_the_dashboards_links_lead_to_lists_that_answer(fleets, superuser_client):
    page = superuser_client.get(reverse("admin:index"))
    links = set(re.findall(r'href="(/admin/[^"]+)"', page.content.decode()))
    for group in page.context["panel_groups"]:
        for rendered in group[1]:
            if rendered.content and rendered.content.chart:
                links.update(link for link in rendered.content.chart.links if link)
    assert len(links) > 20
    for link in sorted(links):
        response = superuser_client.get(link.replace("&amp;", "&"))
        assert response.status_code == 200, link
        assert "?e=1" not in response.get("Location", ""), link  # an unknown filter


def test_navigation_is_grouped_by_task_and_system_is_for_superusers(member, superuser_client):
    members = [app["name"] for app in member.get(reverse("admin:index")).context["available_apps"]]
    assert members[:3] == ["Fleet", "Usage & quotas", "Messages"]
    assert "System" not in members
    everyone = [
        app["name"]
        for app in superuser_client.get(reverse("admin:index")).context["available_apps"]
    ]
    assert "System" in everyone and "Access" in everyone
    names = {
        model["name"]
        for app in superuser_client.get(reverse("admin:index")).context["available_apps"]
        for model in app["models"]
    }
    assert "API keys" in names
    assert sum(1 for name in names if name == "API keys") == 1


def test_a_viewer_sees_but_cannot_act(fleets):
    viewer = UserFactory(organization=fleets[0].organization, role=Role.VIEWER, is_staff=True)
    client = Client()
    client.force_login(viewer)
    page = client.get(change_page(fleets[0].sims[0]))
    assert page.status_code == 200
    assert "sim-operations" not in page.content.decode()
    url = reverse("admin:sims_sim_operate", args=[fleets[0].sims[0].pk, "reset"])
    assert client.post(url, {"confirmed": "yes"}).status_code == 403
    assert client.get(reverse("admin:sims_limitset_add")).status_code == 403


def test_limits_change_through_the_service_with_an_audit_entry(fleets, member):
    from accounts.models import AuditLog

    own = fleets[0]
    limits = own.objects[LimitSet]
    response = member.post(
        change_page(limits),
        {
            "daily_data_limit_mb": "250",
            "monthly_data_limit_mb": "",
            "daily_sms_limit": "",
            "monthly_sms_limit": "",
            "enforce_limits": "unknown",
            "alert_threshold_percent": "",
            "sms_allowed_destinations": "[]",
            "sms_blocked_destinations": "[]",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    limits.refresh_from_db()
    assert limits.daily_data_limit == 250 * 1024 * 1024
    audit = AuditLog.objects.get(operation="UPDATE_LIMITS")
    assert audit.user == own.user
    assert audit.request_body["after"]["daily_data_limit"] == 250 * 1024 * 1024


def test_the_sim_list_shows_human_units_and_labels(fleets, member):
    body = member.get(changelist(Sim)).content.decode()
    assert "Data used this month" in body and "Last seen" in body
    assert re.search(r"\d+(\.\d)? MB", body)
    assert "minutes ago" in body
    assert "524288000" not in body
    page = member.get(change_page(fleets[0].sims[0])).content.decode()
    for label in ("ICCID", "IMSI 2", "RAT", "MSISDN"):
        assert label in page
    assert "Iccid" not in page and "Imsi 2" not in page and "Current rat" not in page


def test_moments_are_shown_in_the_operators_time_zone(fleets, member):
    member.cookies["fleetops_tz"] = "America%2FNew_York"
    page = member.get(reverse("admin:sims_simevent_changelist"))
    assert page.context["time_zone"] == "America/New_York"
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d E[SD]T", page.content.decode())
    member.cookies["fleetops_tz"] = "Not/AZone"
    assert member.get(reverse("admin:index")).context["time_zone"] == "UTC"


OUR_APPS = {
    "accounts",
    "alerts",
    "core",
    "outages",
    "payments",
    "provisioning",
    "quotas",
    "sims",
    "sites",
    "sms",
    "usage",
}


def test_every_page_of_ours_is_a_console_page_in_an_operators_group():
    """Not a plain ModelAdmin (usable by superusers only, unscoped); an organization's page is
    in its operators' navigation, not in the superusers' System group."""
    pages = [(m, a) for m, a in admin.site._registry.items() if m._meta.app_label in OUR_APPS]
    assert len(pages) > 40
    plain = [m._meta.label for m, a in pages if not isinstance(a, ConsoleAdmin)]
    assert plain == []
    hidden = [
        m._meta.label
        for m, a in pages
        if a.tenant_field is not None and a.console_group == "System"
    ]
    assert hidden == []


def test_a_viewer_is_offered_no_action_on_any_page(fleets):
    viewer = UserFactory(organization=fleets[0].organization, role=Role.VIEWER, is_staff=True)
    client = Client()
    client.force_login(viewer)
    offered = {}
    for model, model_admin in tenant_admins():
        response = client.get(changelist(model))
        if response.status_code == 200:
            offered[model._meta.label] = list(model_admin.get_actions(response.wsgi_request))
    assert len(offered) > 30
    assert {label: actions for label, actions in offered.items() if actions} == {}


def test_a_members_navigation_has_every_domain_it_works_in(fleets):
    admin_user = UserFactory(organization=fleets[0].organization, role=Role.ADMIN, is_staff=True)
    client = Client()
    client.force_login(admin_user)
    groups = {
        app["name"]: {model["object_name"] for model in app["models"]}
        for app in client.get(reverse("admin:index")).context["available_apps"]
    }
    for group in ("Provisioning", "Alerts", "Outages & SLA", "Payments", "Access"):
        assert group in groups, groups
    assert {"OnenceAccount", "PmnlAccount", "StellarAccount"} <= groups["Access"]
    assert "CustomerAuthorization" in groups["Provisioning"]


def byte_counts(fleet) -> set[str]:
    """Every byte count the fleet's rows hold (a MB or more), as the raw number would read."""
    from quotas.models import Quota, TopUp
    from usage.models import OrganizationDailyUsage, SimMonthlyUsage, UsageRecord

    counts = set()
    for model, names in (
        (Quota, ["volume", "remaining"]),
        (TopUp, ["volume", "new_total", "new_remaining"]),
        (UsageRecord, ["data_rx_bytes", "data_tx_bytes"]),
        (OrganizationDailyUsage, ["data_rx_bytes", "data_tx_bytes"]),
        (SimMonthlyUsage, ["data_bytes"]),
        (Sim, ["data_quota_total_bytes", "data_quota_remaining_bytes"]),
    ):
        for row in model.objects.filter(**{model_admin_path(model): fleet.organization}):
            counts.update(str(getattr(row, n)) for n in names if (getattr(row, n) or 0) >= 2**20)
    return counts


def model_admin_path(model) -> str:
    return f"{admin.site._registry[model].tenant_field}"


def test_no_page_shows_a_raw_byte_count(fleets, member):
    from usage.models import SimMonthlyUsage

    own = fleets[0]
    raw = byte_counts(own)
    assert len(raw) > 20
    pages = {changelist(model) for model in own.objects} | {
        change_page(obj) for obj in own.objects.values()
    }
    pages |= {
        changelist(SimMonthlyUsage),
        change_page(SimMonthlyUsage.objects.filter(sim__organization=own.organization).first()),
    }
    for url in sorted(pages):
        response = member.get(url)
        assert response.status_code == 200, url
        shown = set(re.findall(r"\b\d{6,}\b", response.content.decode()))  # text and markup
        assert not shown & raw, (url, shown & raw)


ACRONYMS = [
    "ICCID",
    "IMSI",
    "MSISDN",
    "IMEI",
    "SMS",
    "ID",
    "URL",
    "API",
    "IP",
    "RAT",
    "SLA",
    "MTTR",
    "PMNL",
    "AOR",
    "APN",
    "RCA",
]


def test_every_label_spells_its_acronyms_as_operators_do(superuser_client):
    """No column, filter or field reads "Iccid", "Cust id", "Sla config version", "Base url"."""
    from django.contrib.admin.utils import flatten_fieldsets, label_for_field

    request = superuser_client.get(reverse("admin:index")).wsgi_request
    wrong = re.compile(r"\b(" + "|".join(ACRONYMS) + r")\b", re.IGNORECASE)
    found = []
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in OUR_APPS:
            continue
        # The add page, or for a page of rows never added here, a row's page.
        obj = None if model_admin.has_add_permission(request) else model()
        form = model_admin.get_form(request, obj, change=obj is not None)
        names = [*model_admin.get_list_display(request)]
        names += flatten_fieldsets(model_admin.get_fieldsets(request, obj))
        names += model_admin.get_readonly_fields(request, obj)
        for name in names:
            if isinstance(name, str) and name in form.base_fields:
                label = str(form.base_fields[name].label)
            else:
                label = str(label_for_field(name, model, model_admin))
            if any(word not in ACRONYMS for word in wrong.findall(label)):
                found.append(f"{model._meta.label}.{name}: {label}")
    assert found == [], "\n".join(found)


def test_a_job_whose_id_reads_as_an_admin_escape_is_reached(fleets, member):
    """Job ids are "job_<hex>"; the admin reads "_40" in a URL as an escaped "@", so links to a
    job's page quote its id as the admin's own links do (unquoted, one job in a few missed)."""
    job = Job.objects.create(
        id="job_40ab", kind="quota.bulk_topup", organization=fleets[0].organization
    )
    page = member.get(change_page(job))
    assert page.status_code == 200
    assert "job_40ab" in page.content.decode()
    dashboard = member.get(reverse("admin:index")).content.decode()
    assert reverse("admin:core_job_change", args=["job_5F40ab"]) in dashboard
