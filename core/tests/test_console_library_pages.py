"""The console pages of models FleetOps does not own (django-celery-beat's schedules, axes'
lockouts) write as their library does, and every write is audited with the console user."""

import pytest
from django.contrib import admin
from django.test import Client
from django_celery_beat.models import IntervalSchedule

from accounts.models import AuditLog
from accounts.tests.factories import UserFactory
from core.console import AuditedWrites, ConsoleAdmin

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser():
    user = UserFactory(organization=None, is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(user)
    return user, client


def test_every_console_page_audits_its_writes():
    for model, model_admin in admin.site._registry.items():
        assert isinstance(model_admin, ConsoleAdmin | AuditedWrites), model


def test_a_library_pages_add_change_and_delete_are_audited(superuser):
    user, client = superuser
    base = "/admin/django_celery_beat/intervalschedule/"
    tasks = {"periodictask_set-TOTAL_FORMS": 0, "periodictask_set-INITIAL_FORMS": 0}

    added = client.post(f"{base}add/", {"every": 7, "period": "minutes", **tasks})
    assert added.status_code == 302
    schedule = IntervalSchedule.objects.get(every=7, period="minutes")
    changed = client.post(
        f"{base}{schedule.pk}/change/", {"every": 9, "period": "minutes", **tasks}
    )
    assert changed.status_code == 302
    deleted = client.post(f"{base}{schedule.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 302

    entries = AuditLog.objects.filter(resource_type="django_celery_beat.intervalschedule")
    assert list(entries.order_by("id").values_list("operation", "resource_id", "user")) == [
        ("CONSOLE_ADD", str(schedule.pk), user.pk),
        ("CONSOLE_CHANGE", str(schedule.pk), user.pk),
        ("CONSOLE_DELETE", str(schedule.pk), user.pk),
    ]
