"""The SMS mirror follows delivery: a sent message is read again when its delivery is due, so
the console does not show Pending for a message 1NCE delivered; operators can refresh too."""

from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from accounts.models import Role
from simulators.onence import testing
from sms.models import SmsMessage, SmsStatus
from sms.tasks import follow_sms

pytestmark = pytest.mark.django_db(transaction=True)


def send(client, sim):
    response = client.post(f"/api/v1/sims/{sim.iccid}/sms", {"message": "Ping"}, format="json")
    assert response.status_code == 202, response.content
    return SmsMessage.objects.get(sms_id=response.json()["data"]["sms_id"])


def test_a_sent_message_is_followed_until_the_mirror_shows_it_delivered(
    operator_client, fleet, celery_broker, settings
):
    sim = fleet[0]
    testing.set_connectivity(sim.iccid, "ONLINE")
    sms = send(operator_client, sim)
    assert sms.status == SmsStatus.PENDING
    assert ("sms.tasks.follow_sms", [sms.pk]) in celery_broker.queued()

    assert follow_sms(sms.pk) == SmsStatus.PENDING  # run too early: nothing read
    assert not SmsMessage.objects.get(pk=sms.pk).last_checked_at

    # The worker runs it SMS_FOLLOW_SECONDS later.
    later = sms.submitted_at - timedelta(seconds=settings.SMS_FOLLOW_SECONDS)
    SmsMessage.objects.filter(pk=sms.pk).update(submitted_at=later)
    testing.advance_time(seconds=settings.SMS_FOLLOW_SECONDS)
    assert follow_sms(sms.pk) == SmsStatus.DELIVERED

    sms.refresh_from_db()
    assert sms.status == SmsStatus.DELIVERED and sms.delivered_at is not None


def test_console_refresh_reads_the_status_from_1nce(fleet, make_user, client):
    sim = fleet[0]
    testing.set_connectivity(sim.iccid, "ONLINE")
    operator = make_user(Role.OPERATOR)
    api = APIClient()
    api.force_authenticate(operator)
    sms = send(api, sim)
    SmsMessage.objects.filter(pk=sms.pk).update(status=SmsStatus.PENDING)  # as the mirror had it
    testing.advance_time(seconds=11)
    client.force_login(make_user(Role.ADMIN, is_staff=True, is_superuser=True))

    response = client.post(
        "/admin/sms/smsmessage/",
        {"action": "refresh_from_1nce", "_selected_action": [sms.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert "1 changed" in response.content.decode()
    sms.refresh_from_db()
    assert sms.status == SmsStatus.DELIVERED


def test_console_refresh_says_when_1nce_cannot_be_read(fleet, make_user, client, operator_client):
    sim = fleet[0]
    sms = send(operator_client, sim)
    testing.set_faults(error_rate=1.0, error_status=503, paths="/sms", enforce_rate_limit=False)
    client.force_login(make_user(Role.ADMIN, is_staff=True, is_superuser=True))

    response = client.post(
        "/admin/sms/smsmessage/",
        {"action": "refresh_from_1nce", "_selected_action": [sms.pk]},
        follow=True,
    )

    page = response.content.decode()
    assert "1 failed" in page and "could not be read" in page
    sms.refresh_from_db()
    assert sms.status == SmsStatus.PENDING
