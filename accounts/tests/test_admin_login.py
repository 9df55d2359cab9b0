from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import authenticate
from django.test import Client
from django.utils import timezone

from accounts.models import AuditLog, Role
from accounts.tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db
LOGIN = "/admin/login/"


@pytest.fixture
def staff(make_user):
    return make_user(Role.ADMIN, is_staff=True)


def admin_login(client, username, password, **extra):
    return client.post(
        LOGIN, {"username": username, "password": password, "next": "/admin/"}, **extra
    )


def test_right_password_logs_in_and_is_audited(staff):
    client = Client()
    response = admin_login(client, staff.username, DEFAULT_PASSWORD)
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
    entry = AuditLog.objects.get(operation="ADMIN_LOGIN")
    assert (entry.user, entry.status, entry.ip_address) == (staff, "success", "127.0.0.1")


def test_wrong_passwords_lock_the_admin_login_out(staff, settings):
    client = Client()
    statuses = [admin_login(client, staff.username, "wrong").status_code for _ in range(20)]
    limit = settings.AXES_FAILURE_LIMIT
    assert statuses == [200] * (limit - 1) + [429] * (21 - limit)
    # During the lockout the right password is refused too, and no session is opened.
    response = admin_login(client, staff.username, DEFAULT_PASSWORD)
    assert response.status_code == 429
    assert b"Too many failed logins" in response.content
    assert client.get("/admin/").status_code == 302  # back to the login page
    failures = AuditLog.objects.filter(operation="ADMIN_LOGIN", status="failed")
    assert failures.count() == 21
    assert {entry.user for entry in failures} == {staff}
    assert failures.filter(response_status=429).count() == 21 - limit + 1
    assert not AuditLog.objects.filter(operation="ADMIN_LOGIN", status="success").exists()


def test_an_address_is_locked_out_across_usernames_whatever_it_forwards(staff, settings):
    client = Client()
    for i in range(settings.AXES_FAILURE_LIMIT):
        admin_login(client, f"guess{i}", "wrong", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}")
    response = admin_login(
        client, staff.username, DEFAULT_PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.99"
    )
    assert response.status_code == 429


def test_a_username_is_locked_out_across_addresses(staff, settings):
    for i in range(settings.AXES_FAILURE_LIMIT):
        admin_login(Client(REMOTE_ADDR=f"203.0.113.{i}"), staff.username, "wrong")
    response = admin_login(Client(REMOTE_ADDR="203.0.113.200"), staff.username, DEFAULT_PASSWORD)
    assert response.status_code == 429


def test_the_lockout_ends_after_the_cool_off(staff, settings):
    settings.AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"  # attempts as rows
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        admin_login(client, staff.username, "wrong")
    AccessAttempt.objects.update(
        attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1)
    )
    assert admin_login(client, staff.username, DEFAULT_PASSWORD).status_code == 302


def test_api_login_and_authenticate_without_a_request_are_unaffected(staff, login):
    assert authenticate(username=staff.username, password=DEFAULT_PASSWORD) == staff
    assert login(staff).status_code == 200
    assert not AuditLog.objects.filter(operation="ADMIN_LOGIN").exists()
