"""A small but complete fleet for console tests: one of everything a console page lists, for
one organization (build one per organization to test tenancy)."""

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from accounts.models import APIKey, AuditLog, AuditStatus, Organization, Role, User
from accounts.tests.factories import UserFactory
from core.models import Job, JobStatus
from quotas.models import AutoTopUpRule, Quota, QuotaStatus, QuotaType, TopUp, TopUpStatus
from sims.models import ConnectivitySnapshot, EventType, LimitSet, Order, Sim, SimEvent
from sims.tests.factories import SimFactory
from sms.models import SmsDirection, SmsMessage, SmsStatus
from usage.models import OrganizationDailyUsage, UsageRecord
from usage.services import refresh_sim_months

MB = 1024 * 1024


@dataclass
class Fleet:
    organization: Organization
    sims: list[Sim]
    user: User
    objects: dict  # model -> one row of this organization


def build_fleet(organization: Organization, *, sims: int = 3, days: int = 30) -> Fleet:
    now = timezone.now()
    today = timezone.localdate()
    rows = [
        SimFactory(organization=organization, tags=["pos", organization.slug]) for _ in range(sims)
    ]
    for position, sim in enumerate(rows):
        ConnectivitySnapshot.objects.create(
            sim=sim,
            connected=position != 1,  # one offline
            details={"rat": "LTE", "operator_name": "Telekom", "country_code": "DE"},
            taken_at=now - timedelta(minutes=3 + position),
        )
        UsageRecord.objects.bulk_create(
            [
                UsageRecord(
                    sim=sim,
                    organization=organization,
                    date=today - timedelta(days=d),
                    data_rx_bytes=(position + 1) * (d % 7 + 1) * 3 * MB,
                    data_tx_bytes=(position + 1) * MB,
                    sms_mo=d % 3,
                    sms_mt=1,
                    synced_at=now,
                )
                for d in range(days)
            ]
        )
        refresh_sim_months(sim=sim, dates=[today - timedelta(days=d) for d in range(days)])
    for d in range(days):
        day = today - timedelta(days=d)
        records = UsageRecord.objects.filter(organization=organization, date=day)
        OrganizationDailyUsage.objects.create(
            organization=organization,
            date=day,
            data_rx_bytes=sum(r.data_rx_bytes for r in records),
            data_tx_bytes=sum(r.data_tx_bytes for r in records),
            sms_mo=sum(r.sms_mo for r in records),
            sms_mt=sum(r.sms_mt for r in records),
            sim_count=len(records),
        )
    first = rows[0]
    Sim.objects.filter(pk=first.pk).update(
        data_quota_total_bytes=500 * MB, data_quota_remaining_bytes=120 * MB
    )
    quota = Quota.objects.create(
        sim=first,
        quota_type=QuotaType.DATA,
        volume=500 * MB,
        remaining=20 * MB,
        status=QuotaStatus.ACTIVE,
        threshold_crossed_at=now,
        refreshed_at=now,
    )
    Quota.objects.create(
        sim=rows[1], quota_type=QuotaType.SMS, volume=250, remaining=0, status="Exhausted"
    )
    topup = TopUp.objects.create(
        organization=organization,
        sim=first,
        quota_type=QuotaType.DATA,
        volume=500 * MB,
        packages=1,
        status=TopUpStatus.COMPLETED,
        completed_at=now,
    )
    sms = SmsMessage.objects.create(
        organization=organization,
        sim=first,
        direction=SmsDirection.MT,
        status=SmsStatus.DELIVERED,
        message=f"hello from {organization.slug}",
    )
    SmsMessage.objects.create(
        organization=organization,
        sim=rows[1],
        direction=SmsDirection.MT,
        status=SmsStatus.FAILED,
        message="lost",
    )
    event = SimEvent.objects.create(
        sim=first,
        organization=organization,
        event_type=EventType.QUOTA_THRESHOLD_REACHED,
        category="quota",
        source="fleetops",
        description=f"threshold of {organization.slug}",
        occurred_at=now,
    )
    job = Job.objects.create(
        kind="quota.bulk_topup", organization=organization, status=JobStatus.PROCESSING, total=4
    )
    limits = LimitSet.objects.create(organization=organization, daily_data_limit=100 * MB)
    rule = AutoTopUpRule.objects.create(
        sim=first,
        organization=organization,
        quota_type=QuotaType.DATA,
        threshold_percentage=80,
        topup_amount=500 * MB,
    )
    order = Order.objects.create(
        organization=organization, status="placed", total_amount="12.50", currency="EUR"
    )
    user = UserFactory(organization=organization, role=Role.OPERATOR, is_staff=True)
    audit = AuditLog.objects.create(
        user=user,
        organization=organization,
        operation="TOPUP",
        resource_type="sim",
        resource_id=first.iccid,
        status=AuditStatus.SUCCESS,
    )
    key, _ = APIKey.objects.create_key(name=f"key of {organization.slug}", user=user)
    return Fleet(
        organization=organization,
        sims=rows,
        user=user,
        objects={
            Sim: first,
            SimEvent: event,
            Quota: quota,
            TopUp: topup,
            SmsMessage: sms,
            UsageRecord: UsageRecord.objects.filter(sim=first).first(),
            OrganizationDailyUsage: OrganizationDailyUsage.objects.filter(
                organization=organization
            ).first(),
            Job: job,
            LimitSet: limits,
            AutoTopUpRule: rule,
            Order: order,
            AuditLog: audit,
            APIKey: key,
            User: user,
        },
    )


def two_fleets() -> tuple[Fleet, Fleet]:
    """The fleets of two organizations, ``north`` and ``south``, for tenancy tests."""
    from accounts.tests.factories import OrganizationFactory

    return build_fleet(OrganizationFactory(slug="north")), build_fleet(
        OrganizationFactory(slug="south")
    )
