"""The console's job pages read as operators read them: each kind by its label (registered
where the kind is defined, ``core.job_kinds``), progress in words, item results as
``label: value`` in human units and the operator's time zone, statuses by their labels.
Nothing raw on screen: no kind code, no result key, no JSON, no ISO timestamp, no byte count.

The bulk reset and top-up run for real from the SIM list against the 1NCE simulator (the
eager test broker runs the job inline), so the results shown are the ones the handlers write.
"""

import html
import re

import pytest
from django.contrib.admin.utils import quote
from django.test import Client
from django.urls import reverse
from django.utils.html import strip_tags

from accounts.models import Role
from core.job_kinds import job_kind, kind_label
from core.models import Job, JobItem, JobItemStatus, JobStatus

pytestmark = pytest.mark.django_db(transaction=True)
SIM_LIST = "/admin/sims/sim/"
JOB_LIST = reverse("admin:core_job_changelist")
KIND_CODES = ["sims.reset", "sims.sync", "sims.sync_all", "sims.configure", "quota.bulk_topup"]


@pytest.fixture
def operator(make_user):
    client = Client()
    client.force_login(make_user(Role.OPERATOR, is_staff=True))
    return client


def job_page(job) -> str:
    return reverse("admin:core_job_change", args=[quote(job.pk)])


def visible_text(response) -> str:
    """What the operator reads: the page without its markup, scripts and styles."""
    body = response.content.decode()
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.DOTALL | re.IGNORECASE)
    return " ".join(html.unescape(strip_tags(body)).split())


def assert_nothing_raw(text: str, job: Job) -> None:
    for code in KIND_CODES:
        assert code not in text, code
    for item in job.items.all():
        for key in item.result or {}:
            assert key not in text, key  # a result's keys are labelled
    assert not re.search(r"[{\[]\s*&?\"", text), "a JSON blob"
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", text), "an ISO timestamp"
    for code in ("in_progress", "partial", "unknown"):
        assert code not in text, code  # a status shows its label
    assert not re.search(r"\d+\.\d %", text), "a float percentage"


def run_action(client, sims, action: str, **data):
    response = client.post(
        SIM_LIST,
        {"action": action, "_selected_action": [sim.pk for sim in sims], **data},
        follow=True,
    )
    assert response.status_code == 200
    return response


def test_a_finished_bulk_reset_reads_in_words_on_its_job_page(
    operator, onence_fleet, onence_simulator
):
    chosen = onence_fleet[:2]

    response = run_action(operator, chosen, "reset_selected")

    job = Job.objects.get(kind="sims.reset")
    assert response.redirect_chain == [(job_page(job), 302)]
    text = visible_text(response)
    assert f"Reset 2 SIMs: job {job.pk} — completed, 2 of 2 done (100 %)." in text
    assert "Reset connectivity" in text
    assert "2 of 2 done (100 %)" in text
    assert text.count("Succeeded") == 2
    for sim in chosen:
        assert sim.iccid in text
    assert "Back online by: " in text and "Reset request: #" in text
    assert re.search(r"Back online by: \d{4}-\d\d-\d\d \d\d:\d\d UTC", text)
    assert_nothing_raw(text, job)


def test_a_bulk_top_up_shows_volumes_in_human_units_and_no_raw_byte_count(
    operator, onence_fleet, onence_simulator
):
    chosen = onence_fleet[:2]

    response = run_action(
        operator, chosen, "top_up_selected", apply="1", quota_type="data", packages="1"
    )

    job = Job.objects.get(kind="quota.bulk_topup")
    assert (job.status, job.done, job.failed) == (JobStatus.COMPLETED, 2, 0)
    text = visible_text(response)
    assert f"Topping up 2 SIMs: job {job.pk}" in text
    assert "Top up" in text and "2 of 2 done (100 %)" in text
    assert text.count("Quota: Data") == 2
    assert re.search(r"Added: \d+(\.\d)? [MG]B", text)
    assert re.search(r"Now left: \d+(\.\d)? [MG]B", text)
    assert "Transaction: " in text and "1NCE orders: " in text
    assert_nothing_raw(text, job)
    raw_counts = {
        str(value)
        for item in job.items.all()
        for value in item.result.values()
        if isinstance(value, int) and value >= 2**20
    }
    assert raw_counts and not raw_counts & set(re.findall(r"\d{6,}", response.content.decode()))


def test_a_job_with_failed_and_unfinished_items_shows_counts_and_status_labels(
    operator, organization
):
    job = Job.objects.create(
        kind="sims.configure",
        organization=organization,
        status=JobStatus.PROCESSING,
        total=3,
        done=1,
        failed=1,
        params={"total_sims": 3},
    )
    iccid = "8988228066612345678"
    for position, status, result, error in (
        (0, JobItemStatus.SUCCEEDED, {"iccid": iccid, "status": "created"}, ""),
        (1, JobItemStatus.FAILED, {}, "SIM not found"),
        (2, JobItemStatus.IN_PROGRESS, {}, ""),
    ):
        JobItem.objects.create(
            job=job,
            key=f"{position}:{iccid[:-1]}{position}",
            position=position,
            status=status,
            result=result,
            error=error,
        )

    page = operator.get(job_page(job))

    text = visible_text(page)
    assert "Configure SIMs" in text and "Processing" in text
    assert "1 of 3 done, 1 failed" in text
    assert "In progress" in text and "Failed" in text and "Succeeded" in text
    assert "Outcome: Fetched from 1NCE and configured" in text
    assert "SIM not found" in text
    assert "Total SIMs: 3" in text
    assert f"{iccid[:-1]}1" in text and f"1:{iccid[:-1]}1" not in text  # the ICCID, not the key
    assert 'data-refresh-seconds="3"' in page.content.decode()  # running: it refreshes
    assert_nothing_raw(text, job)


def test_the_job_list_names_kinds_by_label_in_its_column_filter_and_search(operator, organization):
    for kind in ("sims.reset", "quota.bulk_topup", "provisioning.bulk_create"):
        Job.objects.create(kind=kind, organization=organization, status=JobStatus.COMPLETED)

    listing = operator.get(JOB_LIST)

    text = visible_text(listing)
    for label in ("Reset connectivity", "Top up", "Bulk create (provisioning)"):
        assert text.count(label) >= 2, label  # a row and the filter
    for code in ("sims.reset", "quota.bulk_topup", "provisioning.bulk_create"):
        assert code not in text
    filtered = operator.get(JOB_LIST, {"kind": "sims.reset"})
    assert [job.kind for job in filtered.context["cl"].result_list] == ["sims.reset"]
    searched = operator.get(JOB_LIST, {"q": "reset conn"})
    assert [job.kind for job in searched.context["cl"].result_list] == ["sims.reset"]


def test_a_kind_registered_by_an_app_is_labelled_and_an_unknown_one_reads_as_words():
    assert job_kind("tests.sweep", "Sweep the floor") == "tests.sweep"
    assert kind_label("tests.sweep") == "Sweep the floor"
    assert kind_label("payments.bulk_payout") == "Bulk payout (payments)"
    assert kind_label("sims.reset") == "Reset connectivity"


def test_the_dashboard_names_a_running_job_by_its_label_and_progress(operator, organization):
    Job.objects.create(
        kind="sims.sync", organization=organization, status=JobStatus.PROCESSING, total=4, done=1
    )

    text = visible_text(operator.get(reverse("admin:index")))

    assert "Sync from 1NCE" in text and "1 of 4 done (25 %)" in text
    assert "sims.sync" not in text


def test_a_periodic_task_runs_page_shows_its_result_and_duration_in_words(make_user):
    from django.utils import timezone

    from core.models import TaskRun, TaskRunOutcome

    client = Client()
    client.force_login(make_user(Role.ADMIN, is_staff=True, is_superuser=True, organization=None))
    now = timezone.now()
    run = TaskRun.objects.create(
        task_id="abc",
        task="sims.tasks.sync_sims",
        started_at=now,
        finished_at=now,
        duration_seconds=2.345678,
        outcome=TaskRunOutcome.SUCCESS,
        result=[{"organization": "acme", "seen": 1200, "complete": True, "duration_s": 2.3}],
    )

    page = client.get(reverse("admin:core_taskrun_change", args=[run.pk]))

    text = visible_text(page)
    assert "Result: Complete: yes; Duration: 2 seconds; Organization: acme; Seen: 1,200" in text
    assert "(Succeeded)" in text and "(success)" not in text
    assert "2.345678" not in text and '"seen"' not in text and "duration_s" not in text


@pytest.fixture
def superuser_in_tokyo(make_user):
    client = Client()
    client.force_login(make_user(Role.ADMIN, is_staff=True, is_superuser=True, organization=None))
    client.cookies["fleetops_tz"] = "Asia%2FTokyo"
    return client


def test_a_periodic_task_runs_page_names_the_task_and_its_start_in_the_operators_zone(
    superuser_in_tokyo,
):
    from datetime import UTC, datetime

    from core.models import TaskRun, TaskRunOutcome

    started = datetime(2026, 3, 1, 23, 30, 15, tzinfo=UTC)
    run = TaskRun.objects.create(
        task_id="abc",
        task="sims.tasks.sync_sims",
        schedule_name="sync-sims",
        started_at=started,
        outcome=TaskRunOutcome.SUCCESS,
    )

    text = visible_text(superuser_in_tokyo.get(reverse("admin:core_taskrun_change", args=[run.pk])))

    # The title: the schedule's name in words, the start in Tokyo (UTC+9: the next day).
    assert "Sync SIMs at 2026-03-02 08:30 JST (Succeeded)" in text
    assert "Mirror every connected organization's SIMs from 1NCE." in text  # what it does
    assert "sims.tasks.sync_sims" not in text and "sync-sims" not in text
    assert "23:30" not in text and "08:30:15" not in text


def test_the_runs_list_and_its_filter_name_tasks_in_words(superuser_in_tokyo):
    from django.utils import timezone

    from core.models import TaskRun

    TaskRun.objects.create(task_id="a", task="sims.tasks.sync_sims", started_at=timezone.now())
    # Started by hand (no schedule) and declared nowhere: its function's words.
    TaskRun.objects.create(
        task_id="b", task="provisioning.tasks.poll_pmnl_orders", started_at=timezone.now()
    )

    page = superuser_in_tokyo.get(reverse("admin:core_taskrun_changelist"))

    text = visible_text(page)
    assert "Sync SIMs" in text and "Poll PMNL orders" in text
    assert "sims.tasks" not in text and "provisioning.tasks" not in text
    assert "Sync SIMs" in [
        str(title) for _, title in page.context["cl"].filter_specs[1].lookup_choices
    ]
    filtered = superuser_in_tokyo.get(
        reverse("admin:core_taskrun_changelist"), {"task": "sims.tasks.sync_sims"}
    )
    assert [r.task for r in filtered.context["cl"].result_list] == ["sims.tasks.sync_sims"]


def test_the_scheduler_page_and_the_dashboard_name_each_task_in_words(superuser_in_tokyo):
    from django.core.management import call_command

    call_command("setup_periodic_tasks", verbosity=0)

    text = visible_text(superuser_in_tokyo.get(reverse("admin:scheduler")))

    assert re.search(r"Sync SIMs\s*Mirror every connected organization's SIMs from 1NCE\.", text)
    assert "Poll PMNL requests" in text
    assert not re.search(r"\b[a-z]+\.tasks\.[a-z_]+", text), "a task's code"
    assert "sync-sims" not in text and "poll-pmnl-requests" not in text

    # The dashboard's sync health panel names them the same way.
    text = visible_text(superuser_in_tokyo.get(reverse("admin:index")))
    assert "Sync SIMs" in text and "Poll PMNL requests" in text
    assert "sync-sims" not in text and "poll-pmnl-requests" not in text


def test_a_long_jobs_page_shows_its_first_items_failures_first_and_says_how_many(
    operator, organization, monkeypatch
):
    from core.admin import FailuresFirst

    monkeypatch.setattr(FailuresFirst, "shown", 4)  # 200 on a real page
    job = Job.objects.create(
        kind="sims.sync", organization=organization, status=JobStatus.PARTIAL, total=12
    )
    failing = {9: JobItemStatus.FAILED, 11: JobItemStatus.UNKNOWN}
    JobItem.objects.bulk_create(
        JobItem(
            job=job,
            key=f"89882280666{position:08d}",
            position=position,
            status=failing.get(position, JobItemStatus.SUCCEEDED),
        )
        for position in range(12)
    )

    page = operator.get(job_page(job))

    (items,) = [f.formset for f in page.context["inline_admin_formsets"]]
    shown = [form.instance.position for form in items.forms]
    assert shown == [9, 11, 0, 1]  # the failing first, then in the job's order
    assert "Showing 4 of 12 items: the failing first" in visible_text(page)


def test_a_short_jobs_page_shows_every_item_and_no_note(operator, organization):
    job = Job.objects.create(
        kind="sims.sync", organization=organization, status=JobStatus.COMPLETED, total=3
    )
    JobItem.objects.bulk_create(
        JobItem(job=job, key=f"89882280666{p:08d}", position=p, status=JobItemStatus.SUCCEEDED)
        for p in range(3)
    )

    page = operator.get(job_page(job))

    (items,) = [f.formset for f in page.context["inline_admin_formsets"]]
    assert [form.instance.position for form in items.forms] == [0, 1, 2]
    assert "Showing" not in visible_text(page)
