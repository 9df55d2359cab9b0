"""The SIM admin's actions go through the services to 1NCE (the simulator over HTTP), and the
1NCE account form keeps its secret write-only."""

import pytest
from django.test import Client

from accounts.models import AuditLog, Role
from sims.admin import OnenceAccountForm
from sims.models import ConnectivityReset, OnenceAccount, Sim, SimStatus

pytestmark = pytest.mark.django_db(transaction=True)
CHANGELIST = "/admin/sims/sim/"


@pytest.fixture
def admin_client(make_user):
    client = Client()
    client.force_login(make_user(Role.ADMIN, is_staff=True, is_superuser=True))
    return client


def run_action(client, action: str, sims) -> list[str]:
    """Runs an admin action from the SIM changelist; returns the messages the admin shows."""
    response = client.post(
        CHANGELIST, {"action": action, "_selected_action": [sim.pk for sim in sims]}, follow=True
    )
    assert response.redirect_chain == [(CHANGELIST, 302)], response.content
    return [str(message) for message in response.context["messages"]]


def test_disable_then_enable_change_the_sims_at_1nce(admin_client, onence_fleet, onence_simulator):
    chosen = onence_fleet[:2]

    messages = run_action(admin_client, "disable_selected", chosen)

    assert messages == ["Disabled 2 SIM(s); 0 failed."]
    for sim in chosen:
        assert onence_simulator.get_sim(sim.iccid)["status"] == "Disabled"
        sim.refresh_from_db()
        assert sim.status == SimStatus.DISABLED
    assert onence_simulator.get_sim(onence_fleet[2].iccid)["status"] == "Enabled"
    assert AuditLog.objects.filter(resource_type="sim", status="success").count() == 2

    messages = run_action(admin_client, "enable_selected", chosen)

    assert messages == ["Enabled 2 SIM(s); 0 failed."]
    assert {onence_simulator.get_sim(sim.iccid)["status"] for sim in chosen} == {"Enabled"}


def test_sync_action_refreshes_the_mirror_from_1nce(admin_client, onence_fleet):
    sim = onence_fleet[0]
    Sim.objects.filter(pk=sim.pk).update(label="stale", last_synced_at=None)

    messages = run_action(admin_client, "sync_selected", [sim])

    assert messages == ["Synced 1 SIM(s); 0 failed."]
    sim.refresh_from_db()
    assert sim.label != "stale"
    assert sim.last_synced_at is not None


def test_reset_action_asks_1nce_and_records_the_reset(admin_client, onence_fleet, onence_simulator):
    sim = onence_fleet[0]

    messages = run_action(admin_client, "reset_selected", [sim])

    assert messages == ["Reset 1 SIM(s); 0 failed."]
    assert onence_simulator.requests_received(path_contains="/reset", method="POST")
    assert ConnectivityReset.objects.filter(sim=sim).count() == 1
    assert AuditLog.objects.filter(operation="RESET", resource_id=sim.iccid).exists()


def test_an_upstream_failure_is_reported_per_sim_and_changes_nothing(
    admin_client, onence_fleet, onence_simulator
):
    onence_simulator.set_faults(error_rate=1.0, error_status=503, enforce_rate_limit=False)
    sim = onence_fleet[0]

    messages = run_action(admin_client, "disable_selected", [sim])

    assert messages[-1] == "Disabled 0 SIM(s); 1 failed."
    assert messages[0].startswith(f"{sim.iccid}: ")
    onence_simulator.clear_faults()
    assert onence_simulator.get_sim(sim.iccid)["status"] == "Enabled"
    sim.refresh_from_db()
    assert sim.status == SimStatus.ENABLED


def account_form(data, instance=None):
    base = {"base_url": "https://api.1nce.com/management-api", "client_id": "ops"}
    return OnenceAccountForm(data={**base, **data}, instance=instance)


def test_account_form_requires_a_secret_on_create_and_never_renders_it(organization):
    form = account_form({"organization": organization.pk, "is_active": True})
    assert not form.is_valid()
    assert "client_secret" in form.errors

    form = account_form(
        {"organization": organization.pk, "client_secret": "s3cret", "is_active": True}
    )
    assert form.is_valid(), form.errors
    account = form.save()
    assert OnenceAccount.objects.get(pk=account.pk).client_secret == "s3cret"

    rendered = str(OnenceAccountForm(instance=account))
    assert "s3cret" not in rendered


def test_account_form_keeps_the_secret_when_left_blank_and_replaces_it_when_given(
    organization,
):
    account = account_form(
        {"organization": organization.pk, "client_secret": "first", "is_active": True}
    ).save()

    form = account_form(
        {"organization": organization.pk, "client_id": "renamed", "is_active": True}, account
    )
    assert form.is_valid(), form.errors
    form.save()
    account.refresh_from_db()
    assert (account.client_id, account.client_secret) == ("renamed", "first")

    form = account_form(
        {"organization": organization.pk, "client_secret": "second", "is_active": True}, account
    )
    assert form.is_valid(), form.errors
    form.save()
    account.refresh_from_db()
    assert account.client_secret == "second"


def test_account_form_refuses_a_non_url_base(organization):
    form = account_form(
        {
            "organization": organization.pk,
            "client_secret": "s",
            "base_url": "not a url",
            "is_active": True,
        }
    )
    assert not form.is_valid()
    assert "base_url" in form.errors


# The change form's read-only inline of recent events still posts its management form.
EVENTS_INLINE = {"events-TOTAL_FORMS": "0", "events-INITIAL_FORMS": "0"}


def test_the_change_form_edits_tags_and_metadata_through_the_service_and_never_the_tenant(
    admin_client, organization, other_organization
):
    """Seen from outside: the console moved SIMs between organizations and changed them
    without an audit entry."""
    from sims.models import EventType, SimEvent
    from sims.tests.factories import SimFactory

    sim = SimFactory(organization=organization, tags=["old"])
    url = f"{CHANGELIST}{sim.pk}/change/"
    page = admin_client.get(url)
    assert page.status_code == 200
    assert 'name="organization"' not in page.content.decode()

    response = admin_client.post(
        url,
        {
            "tags": '["pos", "berlin"]',
            "metadata": '{"site": "B-12"}',
            "organization": other_organization.pk,  # not a field: ignored
            "usage_synced_at": "2020-01-01 00:00:00",
            **EVENTS_INLINE,
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    sim.refresh_from_db()
    assert (sim.organization_id, sim.tags, sim.metadata) == (
        organization.pk,
        ["berlin", "pos"],  # normalised as the API does
        {"site": "B-12"},
    )
    assert sim.usage_synced_at is None
    audit = AuditLog.objects.get(resource_id=sim.iccid, operation="UPDATE")
    assert audit.user is not None and audit.request_body["after"]["tags"] == ["berlin", "pos"]
    assert SimEvent.objects.filter(sim=sim, event_type=EventType.CONFIGURATION_CHANGED).exists()


def test_the_change_form_refuses_what_the_api_refuses(admin_client, organization):
    from sims.tests.factories import SimFactory

    sim = SimFactory(organization=organization)
    response = admin_client.post(
        f"{CHANGELIST}{sim.pk}/change/",
        {"tags": '["bad tag!"]', "metadata": "{}", **EVENTS_INLINE},
    )
    assert response.status_code == 200  # the form again, with its error
    assert response.context["adminform"].form.errors
    sim.refresh_from_db()
    assert sim.tags == []
    assert not AuditLog.objects.filter(resource_id=sim.iccid).exists()


@pytest.mark.parametrize("path", ["/admin/quotas/quota/add/", "/admin/sims/simevent/add/"])
def test_mirrored_and_history_models_cannot_be_added(admin_client, path):
    assert admin_client.get(path).status_code == 403
