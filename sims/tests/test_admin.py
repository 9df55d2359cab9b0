"""The SIM admin's actions go through the services to 1NCE (the simulator over HTTP), and the
1NCE account form keeps its secret write-only."""

import pytest
from django.contrib.admin.utils import quote
from django.test import Client
from django.urls import reverse

from accounts.models import AuditLog, Role
from core.models import Job
from sims.accounts import ONENCE_ACCOUNTS
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
    assert response.redirect_chain[0][1] == 302, response.content
    return [str(message) for message in response.context["messages"]]


def test_disable_then_enable_change_the_sims_at_1nce(admin_client, onence_fleet, onence_simulator):
    chosen = onence_fleet[:2]

    messages = run_action(admin_client, "disable_selected", chosen)

    # A job (run inline by the eager test broker): its page follows the progress.
    job = Job.objects.get(kind="sims.configure")
    assert (job.status, job.total, job.done, job.failed) == ("completed", 2, 2, 0)
    assert messages[0].startswith("Disable 2 SIMs: ")
    for sim in chosen:
        assert onence_simulator.get_sim(sim.iccid)["status"] == "Disabled"
        sim.refresh_from_db()
        assert sim.status == SimStatus.DISABLED
    assert onence_simulator.get_sim(onence_fleet[2].iccid)["status"] == "Enabled"
    assert AuditLog.objects.filter(resource_type="sim", status="success").count() == 2

    run_action(admin_client, "enable_selected", chosen)

    assert {onence_simulator.get_sim(sim.iccid)["status"] for sim in chosen} == {"Enabled"}


def job_page(job) -> str:
    return reverse("admin:core_job_change", args=[quote(job.pk)])


def test_sync_action_starts_a_job_that_refreshes_the_mirror_and_opens_its_page(
    admin_client, onence_fleet, onence_simulator
):
    chosen = onence_fleet[:2]
    Sim.objects.filter(pk__in=[s.pk for s in chosen]).update(label="stale", last_synced_at=None)

    response = admin_client.post(
        CHANGELIST,
        {"action": "sync_selected", "_selected_action": [sim.pk for sim in chosen]},
        follow=True,
    )

    job = Job.objects.get(kind="sims.sync")
    assert response.redirect_chain == [(job_page(job), 302)]
    messages = [str(message) for message in response.context["messages"]]
    assert messages[0].startswith("Sync 2 SIMs: ") and f'href="{job_page(job)}"' in messages[0]
    assert (job.status, job.total, job.done, job.failed) == ("completed", 2, 2, 0)
    for sim in chosen:
        sim.refresh_from_db()
        assert sim.label != "stale" and sim.last_synced_at is not None
    untouched = onence_fleet[2].iccid
    assert not onence_simulator.requests_received(path_contains=untouched, method="GET")


def test_reset_action_starts_a_job_that_asks_1nce_and_records_the_resets(
    admin_client, onence_fleet, onence_simulator
):
    sim = onence_fleet[0]

    messages = run_action(admin_client, "reset_selected", [sim])

    job = Job.objects.get(kind="sims.reset")
    assert messages[0].startswith("Reset 1 SIM: ")
    assert (job.status, job.done, job.failed) == ("completed", 1, 0)
    assert onence_simulator.requests_received(path_contains=f"{sim.iccid}/reset", method="POST")
    assert ConnectivityReset.objects.filter(sim=sim).count() == 1
    audit = AuditLog.objects.get(operation="RESET", resource_id=sim.iccid)
    assert audit.user == job.created_by is not None


def test_an_upstream_failure_is_recorded_on_the_sims_item_and_changes_nothing(
    admin_client, onence_fleet, onence_simulator
):
    onence_simulator.set_faults(error_rate=1.0, error_status=503, enforce_rate_limit=False)
    sim = onence_fleet[0]

    run_action(admin_client, "reset_selected", [sim])

    job = Job.objects.get(kind="sims.reset")
    assert (job.status, job.done, job.failed) == ("failed", 0, 1)
    assert job.items.get().error.startswith("1NCE")
    assert not ConnectivityReset.objects.filter(sim=sim).exists()
    run_action(admin_client, "disable_selected", [sim])
    job = Job.objects.get(kind="sims.configure")
    assert (job.done, job.failed) == (0, 1)
    onence_simulator.clear_faults()
    assert onence_simulator.get_sim(sim.iccid)["status"] == "Enabled"
    sim.refresh_from_db()
    assert sim.status == SimStatus.ENABLED


SECOND_CLIENT_ID = "second-org-client"


@pytest.fixture
def second_fleet(onence_simulator, other_organization, settings):
    """Two SIMs of ``other_organization``, in its own 1NCE account and mirrored."""
    from sims.tests.factories import SimFactory

    onence_simulator.register_account(client_id=SECOND_CLIENT_ID, client_secret="second-secret")
    iccids = onence_simulator.seed_fleet(sims=2, days=1, client_id=SECOND_CLIENT_ID, seed=7)
    OnenceAccount.objects.create(
        organization=other_organization,
        base_url=settings.ONENCE_BASE_URL,
        client_id=SECOND_CLIENT_ID,
        client_secret="second-secret",
    )
    return [SimFactory(organization=other_organization, iccid=iccid) for iccid in iccids]


@pytest.mark.parametrize("action", ["sync_selected", "reset_selected"])
def test_a_superusers_selection_makes_one_job_per_organization_on_its_own_account(
    admin_client, onence_fleet, second_fleet, onence_simulator, organization, settings, action
):
    chosen = [onence_fleet[0], *second_fleet]

    messages = run_action(admin_client, action, chosen)

    jobs = {job.organization: job for job in Job.objects.all()}
    other = second_fleet[0].organization
    assert {org: (job.total, job.done, job.failed) for org, job in jobs.items()} == {
        organization: (1, 1, 0),
        other: (2, 2, 0),
    }
    assert all(f'href="{job_page(job)}"' in " ".join(messages) for job in jobs.values())
    for sim in chosen:
        calls = onence_simulator.requests_received(path_contains=sim.iccid)
        expected = SECOND_CLIENT_ID if sim in second_fleet else settings.ONENCE_CLIENT_ID
        assert calls and {call["client_id"] for call in calls} == {expected}
        assert jobs[sim.organization].items.filter(key=sim.iccid, status="succeeded").exists()


@pytest.mark.parametrize("action", ["sync_selected", "reset_selected"])
def test_a_staff_user_of_another_organization_starts_no_job_on_sims_not_theirs(
    make_user, onence_fleet, onence_simulator, other_organization, action
):
    outsider = console_of(make_user(Role.OPERATOR, organization=other_organization, is_staff=True))

    messages = run_action(outsider, action, onence_fleet)

    assert messages == ["None of the selected SIMs can be changed here."]
    assert not Job.objects.exists()
    assert not ConnectivityReset.objects.exists()
    assert not onence_simulator.requests_received()


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
    assert form.secret_values() == {"client_secret": "s3cret"}
    # Saved by the service (core.tests.test_console_accounts), never by the form.
    assert "client_secret" not in form.account_values()

    account = OnenceAccount.objects.create(
        organization=organization, client_id="ops", client_secret="s3cret"
    )
    rendered = str(OnenceAccountForm(instance=account))
    assert "s3cret" not in rendered
    edit = account_form({"organization": organization.pk, "is_active": True}, account)
    assert edit.is_valid(), edit.errors  # blank keeps the stored secret
    assert edit.secret_values() == {"client_secret": ""}


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


# --- the SIM page's operations: confirmed, through the API's services, outcome shown -------


def operate(client, sim, operation, data=None, *, confirm=True):
    url = f"{CHANGELIST}{sim.pk}/operate/{operation}/"
    first = client.post(url, data or {})
    assert first.status_code == 200  # the confirmation page: nothing done yet
    if not confirm:
        return first
    fields = {**(data or {}), **first.context["values"]}
    key = first.context["idempotency_key"]
    response = client.post(url, {**fields, "confirmed": "yes", "idempotency_key": key}, follow=True)
    assert response.redirect_chain[-1][0] == f"{CHANGELIST}{sim.pk}/change/"
    return response


def shown(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_the_sim_page_shows_connectivity_usage_quotas_and_history(admin_client, onence_fleet):
    sim = onence_fleet[0]
    page = admin_client.get(f"{CHANGELIST}{sim.pk}/change/")
    assert page.status_code == 200
    body = page.content.decode()
    for section in ("sim-connectivity", "sim-quotas", "sim-usage", "sim-operations", "sim-events"):
        assert f'id="{section}"' in body
    assert page.context["connectivity"]["stale"] is False
    chart = page.context["usage_chart"]
    assert len(chart["labels"]) == 90 and len(chart["series"]) == 2


def test_confirmation_comes_first_and_a_top_up_goes_through_the_service_once(
    admin_client, onence_fleet, onence_simulator
):
    from quotas.models import TopUp, TopUpSource

    sim = onence_fleet[0]
    first = operate(
        admin_client, sim, "topup", {"quota_type": "data", "packages": "1"}, confirm=False
    )
    assert "500 MB" in first.content.decode()
    assert not TopUp.objects.exists()  # asked, not done

    response = operate(admin_client, sim, "topup", {"quota_type": "data", "packages": "1"})

    topup = TopUp.objects.get(sim=sim)
    assert (topup.status, topup.source, topup.packages) == ("completed", TopUpSource.ADMIN, 1)
    assert topup.idempotency_key.startswith("console-")
    # The status reads as its label, not the stored code ("completed").
    assert any(
        m.startswith(f"Top-up {topup.transaction_id}: ") and m.endswith(" — Completed.")
        for m in shown(response)
    ), shown(response)
    assert AuditLog.objects.filter(resource_id=sim.iccid, status="success").exists()
    assert len(onence_simulator.requests_received(path_contains="/topup", method="POST")) == 1

    # The same confirmation posted twice (a double click) buys once.
    repeat = admin_client.post(
        f"{CHANGELIST}{sim.pk}/operate/topup/",
        {
            "quota_type": "data",
            "packages": "1",
            "confirmed": "yes",
            "idempotency_key": topup.idempotency_key,
        },
    )
    assert repeat.status_code == 302
    assert TopUp.objects.filter(sim=sim).count() == 1
    assert len(onence_simulator.requests_received(path_contains="/topup", method="POST")) == 1


def test_reset_sync_disable_and_sms_from_the_sim_page(admin_client, onence_fleet, onence_simulator):
    from sms.models import SmsMessage, SmsStatus

    sim = onence_fleet[0]
    assert "reset requested" in " ".join(shown(operate(admin_client, sim, "reset"))).lower()
    assert ConnectivityReset.objects.filter(sim=sim).count() == 1

    assert shown(operate(admin_client, sim, "sync")) == ["Synced from 1NCE."]

    assert shown(operate(admin_client, sim, "disable")) == ["Disabled at 1NCE."]
    assert onence_simulator.get_sim(sim.iccid)["status"] == "Disabled"
    operate(admin_client, sim, "enable")
    assert onence_simulator.get_sim(sim.iccid)["status"] == "Enabled"

    response = operate(admin_client, sim, "sms", {"message": "ping", "encoding": "GSM7"})
    sms = SmsMessage.objects.get(sim=sim, message="ping")
    assert sms.submission == "submitted"
    label = SmsStatus(sms.status).label
    assert label != sms.status  # the label, not the stored code, is what the message shows
    assert f"SMS {sms.sms_id} accepted by 1NCE ({label})." in shown(response)


def test_an_upstream_failure_on_the_sim_page_is_shown_and_changes_nothing(
    admin_client, onence_fleet, onence_simulator
):
    from quotas.models import TopUp

    sim = onence_fleet[0]
    onence_simulator.set_faults(error_rate=1.0, error_status=400, enforce_rate_limit=False)
    response = operate(admin_client, sim, "topup", {"quota_type": "data", "packages": "2"})
    onence_simulator.clear_faults()
    messages = shown(response)
    assert messages and "1NCE did not apply the top-up" in messages[0]
    assert not TopUp.objects.filter(sim=sim, status="completed").exists()


# --- label and IMEI lock: the API's service, at 1NCE through the organization's account ----


def console_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_operator_changes_label_and_imei_lock_at_1nce_after_confirming(
    make_user, onence_fleet, onence_simulator
):
    operator = make_user(Role.OPERATOR, is_staff=True)
    client = console_of(operator)
    sim = onence_fleet[0]
    Sim.objects.filter(pk=sim.pk).update(imei_lock=False)
    page = client.get(f"{CHANGELIST}{sim.pk}/change/").content.decode()
    assert 'id="settings-form"' in page
    wanted = {"label": "Kiosk 7", "imei_lock": "on"}

    first = operate(client, sim, "settings", wanted, confirm=False)
    assert "Kiosk 7" in first.content.decode()
    assert onence_simulator.get_sim(sim.iccid)["label"] != "Kiosk 7"  # asked, not done

    response = operate(client, sim, "settings", wanted)

    assert shown(response) == ["Saved at 1NCE: the label and the IMEI lock (on)."]
    upstream = onence_simulator.get_sim(sim.iccid)
    assert (upstream["label"], upstream["imei_lock"]) == ("Kiosk 7", True)
    sim.refresh_from_db()
    assert (sim.label, sim.imei_lock) == ("Kiosk 7", True)
    audit = AuditLog.objects.get(resource_type="sim", resource_id=sim.iccid, operation="UPDATE")
    assert audit.user == operator and audit.status == "success"
    assert audit.request_body["after"] == {"label": "Kiosk 7", "imei_lock": True}

    # The same values again: nothing is sent and nothing recorded.
    calls = len(onence_simulator.requests_received(method="PATCH"))
    again = operate(client, sim, "settings", wanted)
    assert shown(again)[0].startswith("Nothing to change")
    assert len(onence_simulator.requests_received(method="PATCH")) == calls
    assert AuditLog.objects.filter(resource_id=sim.iccid, operation="UPDATE").count() == 1


def test_a_viewer_is_offered_no_settings_form_and_cannot_post_one(
    make_user, onence_fleet, onence_simulator
):
    client = console_of(make_user(Role.VIEWER, is_staff=True))
    sim = onence_fleet[0]
    page = client.get(f"{CHANGELIST}{sim.pk}/change/")
    assert page.status_code == 200 and 'id="settings-form"' not in page.content.decode()

    response = client.post(
        f"{CHANGELIST}{sim.pk}/operate/settings/",
        {"label": "mine now", "imei_lock": "on", "confirmed": "yes"},
    )

    assert response.status_code == 403
    assert onence_simulator.get_sim(sim.iccid)["label"] != "mine now"
    assert not AuditLog.objects.filter(resource_id=sim.iccid).exists()


def test_a_sim_of_an_organization_without_a_1nce_account_is_not_changed_through_another(
    admin_client, onence_fleet, onence_simulator, other_organization
):
    """The default account is ``organization``'s: a SIM row of another organization with the
    same ICCID is refused, not changed through an account that is not its own."""
    from sims.tests.factories import SimFactory

    stray = SimFactory(
        organization=other_organization, iccid=onence_simulator.seed_fleet(sims=1)[0]
    )
    before = onence_simulator.get_sim(stray.iccid)["label"]

    response = operate(admin_client, stray, "settings", {"label": "hijacked", "imei_lock": "on"})

    assert shown(response) == [
        "No 1NCE account is connected to this organization. " + ONENCE_ACCOUNTS.connect_hint
    ]
    assert onence_simulator.get_sim(stray.iccid)["label"] == before
    stray.refresh_from_db()
    assert stray.label != "hijacked"
    assert not AuditLog.objects.filter(resource_id=stray.iccid, status="success").exists()


def test_a_label_the_api_refuses_is_refused_on_the_sim_page(admin_client, onence_fleet):
    sim = onence_fleet[0]
    response = admin_client.post(
        f"{CHANGELIST}{sim.pk}/operate/settings/",
        {"label": "x" * 201, "imei_lock": "off"},
        follow=True,
    )
    assert shown(response)  # the form's reason
    sim.refresh_from_db()
    assert len(sim.label) <= 200
    assert not AuditLog.objects.filter(resource_id=sim.iccid).exists()


def test_limits_are_not_deleted_from_the_console(admin_client, organization):
    from sims.models import LimitSet

    limits = LimitSet.objects.create(organization=organization, daily_sms_limit=5)
    page = f"/admin/sims/limitset/{limits.pk}/delete/"
    assert admin_client.get(page).status_code == 403
    admin_client.post(page, {"post": "yes"})
    assert LimitSet.objects.filter(pk=limits.pk).exists()
