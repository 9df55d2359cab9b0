import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import AuditLog, Role
from alerts import services
from alerts.models import Alert, AlertRule, AlertStatus, Notification
from core.context import Context
from core.errors import Conflict, InvalidInput
from core.events import publish
from core.models import DomainEvent

pytestmark = pytest.mark.django_db

ICCID = "8988228666000000001"


@pytest.fixture
def admin(make_user):
    return make_user(role=Role.ADMIN, email="noc@example.com")


def lost(organization, iccid=ICCID, at=None):
    return publish(
        "connectivity.lost",
        organization_id=organization.pk,
        subject=f"sim:{iccid}",
        data={"iccid": iccid, "severity": "critical", "tags": ["site:A"]},
        occurred_at=at,
    )


def restored(organization, iccid=ICCID, at=None):
    return publish(
        "connectivity.restored",
        organization_id=organization.pk,
        subject=f"sim:{iccid}",
        data={"iccid": iccid, "severity": "info", "tags": ["site:A"]},
        occurred_at=at,
    )


def crossing(organization, iccid=ICCID):
    return publish(
        "quota.threshold_reached",
        organization_id=organization.pk,
        subject=f"sim:{iccid}",
        data={"iccid": iccid, "quota_type": "data", "threshold": 80, "severity": "warning"},
    )


def test_a_new_organization_gets_the_default_rules(organization):
    names = set(AlertRule.objects.filter(organization=organization).values_list("name", flat=True))
    assert {
        "Quota over 80 %",
        "Quota depleted",
        "Connectivity lost for 15 minutes",
        "Sync failures",
        "Outage about to breach its SLA",
        "Payment failed",
    } <= names
    assert all(r.channels == [{"type": "email", "to": "admins"}] for r in AlertRule.objects.all())


def test_fifty_crossings_of_one_sim_in_the_window_make_one_alert_and_one_email(
    organization, admin, run_on_commit, mailoutbox
):
    for _ in range(50):
        run_on_commit(crossing, organization)
    alert = Alert.objects.get()
    assert alert.event_count == 50 and alert.events.count() == 50
    assert alert.status == AlertStatus.OPEN
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["noc@example.com"]
    assert ICCID in mailoutbox[0].subject


def test_a_crossing_after_the_window_opens_a_new_alert(organization, admin, run_on_commit):
    run_on_commit(crossing, organization)
    Alert.objects.update(last_event_at=timezone.now() - timedelta(days=2))
    run_on_commit(crossing, organization)
    assert Alert.objects.count() == 2


def test_connectivity_restored_within_the_wait_resolves_silently(
    organization, admin, run_on_commit, mailoutbox
):
    run_on_commit(lost, organization)
    alert = Alert.objects.get()
    assert alert.status == AlertStatus.PENDING
    assert services.open_due_alerts() == 0
    run_on_commit(restored, organization)
    alert.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED and alert.notified_at is None
    assert mailoutbox == []


def test_connectivity_lost_for_15_minutes_notifies_then_notifies_its_recovery_once(
    organization, admin, run_on_commit, mailoutbox
):
    run_on_commit(lost, organization, at=timezone.now() - timedelta(minutes=16))
    run_on_commit(services.open_due_alerts)
    alert = Alert.objects.get()
    assert alert.status == AlertStatus.OPEN and alert.notified_at is not None
    assert len(mailoutbox) == 1
    run_on_commit(restored, organization)
    run_on_commit(restored, organization)
    alert.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED
    assert [m.subject.split(":")[0] for m in mailoutbox] == [
        "[FleetOps] Alert",
        "[FleetOps] Resolved",
    ]


def test_conditions_select_events_by_tag_severity_and_threshold(organization, run_on_commit):
    rule = services.create_rule(
        organization=organization,
        values={
            "name": "Site B down",
            "event_types": ["connectivity.*"],
            "conditions": {"sim_tags": ["site:B"], "min_severity": "high"},
            "channels": [{"type": "email", "to": ["b@example.com"]}],
        },
        context=Context(),
    )
    run_on_commit(lost, organization)  # tagged site:A
    assert not Alert.objects.filter(rule=rule).exists()
    run_on_commit(
        publish,
        "connectivity.lost",
        organization_id=organization.pk,
        subject="sim:1",
        data={"severity": "critical", "tags": ["site:B"]},
    )
    run_on_commit(
        publish,
        "connectivity.lost",
        organization_id=organization.pk,
        subject="sim:2",
        data={"severity": "info", "tags": ["site:B"]},
    )
    assert list(Alert.objects.filter(rule=rule).values_list("subject", flat=True)) == ["sim:1"]


def test_quiet_period_suppresses_a_second_notification_of_one_subject(
    organization, run_on_commit, mailoutbox
):
    AlertRule.objects.filter(organization=organization).delete()
    services.create_rule(
        organization=organization,
        values={
            "name": "Crossings",
            "event_types": ["quota.threshold_reached"],
            "channels": [{"type": "email", "to": ["q@example.com"]}],
            "dedup_window_minutes": 0,
            "quiet_period_minutes": 120,
        },
        context=Context(),
    )
    run_on_commit(crossing, organization)
    Alert.objects.update(last_event_at=timezone.now() - timedelta(minutes=5))
    run_on_commit(crossing, organization)
    assert Alert.objects.count() == 2
    assert len(mailoutbox) == 1


def test_acknowledge_and_resolve_are_audited_and_refuse_the_wrong_state(
    organization, admin, run_on_commit
):
    run_on_commit(crossing, organization)
    alert = Alert.objects.get()
    context = Context(actor=admin)
    services.acknowledge(alert=alert, context=context)
    with pytest.raises(Conflict):
        services.acknowledge(alert=alert, context=context)
    services.resolve(alert=alert, context=context, resolution="Topped up by hand.")
    with pytest.raises(Conflict):
        services.resolve(alert=alert, context=context)
    alert.refresh_from_db()
    assert alert.resolved_by == admin and alert.resolution == "Topped up by hand."
    assert set(AuditLog.objects.values_list("operation", flat=True)) >= {
        "ACKNOWLEDGE_ALERT",
        "RESOLVE_ALERT",
    }


def test_a_failing_channel_is_retried_and_recorded(organization, settings, run_on_commit):
    AlertRule.objects.filter(organization=organization).delete()
    services.create_rule(
        organization=organization,
        values={
            "name": "To Slack",
            "event_types": ["quota.*"],
            "channels": [{"type": "slack", "url": "http://127.0.0.1:9/unreachable"}],
        },
        context=Context(),
    )
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    run_on_commit(crossing, organization)
    notification = Notification.objects.get()
    assert notification.status == "retrying" and notification.attempts == 1
    assert services.sweep_due_notifications() == 0  # not due yet
    for _ in range(6):
        Notification.objects.exclude(status="failed").update(next_attempt_at=timezone.now())
        run_on_commit(services.sweep_due_notifications)
    notification.refresh_from_db()
    assert notification.status == "failed" and notification.attempts == 5
    assert "127.0.0.1" in notification.error


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"event_types": ["nope.*"]}, "event_types"),
        ({"channels": [{"type": "pager"}]}, "type"),
        ({"channels": [{"type": "webhook", "webhook_id": 999999}]}, "webhook_id"),
        ({"channels": [{"type": "email", "to": ["not-an-address"]}]}, "to"),
        ({"conditions": {"colour": "red"}}, "colour"),
        ({"conditions": {"min_threshold": 150}}, "min_threshold"),
        ({"dedup_window_minutes": -1}, "dedup_window_minutes"),
        ({"name": ""}, "name"),
        ({"unknown": 1}, "unknown"),
    ],
)
def test_invalid_rules_are_refused_naming_the_field(organization, values, field):
    base = {
        "name": "Rule",
        "event_types": ["quota.*"],
        "channels": [{"type": "email", "to": "admins"}],
    }
    before = AlertRule.objects.count()
    with pytest.raises(InvalidInput) as refused:
        services.create_rule(
            organization=organization, values={**base, **values}, context=Context()
        )
    assert any(field in error["loc"] for error in refused.value.errors)
    assert AlertRule.objects.count() == before


@pytest.mark.django_db(transaction=True)
def test_two_dispatchers_with_crossings_of_one_sim_open_one_alert(organization):
    """Two dispatchers each hold an event of one subject: the second waits for the first's
    alert instead of opening its own (the window between them is held open on purpose)."""
    events = [
        DomainEvent.objects.create(
            name="quota.threshold_reached",
            organization=organization,
            subject=f"sim:{ICCID}",
            data={"iccid": ICCID, "threshold": 80},
            occurred_at=timezone.now(),
        )
        for _ in range(2)
    ]
    opened, errors = threading.Event(), []

    def first():
        try:
            with transaction.atomic():
                services.evaluate(events[0])
                opened.set()
                time.sleep(0.5)  # the second dispatcher arrives while this one is open
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            opened.set()
            connection.close()

    def second():
        try:
            opened.wait(timeout=30)
            with transaction.atomic():
                services.evaluate(events[1])
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    alert = Alert.objects.get(rule__name="Quota over 80 %")
    assert alert.event_count == 2
