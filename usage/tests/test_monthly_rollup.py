"""The per-SIM monthly rollup the console reads (top consumers, "data used this month")."""

from datetime import date

import pytest

from sims.tests.factories import SimFactory
from usage.models import SimMonthlyUsage
from usage.selectors import month_usage, top_consumers
from usage.services import refresh_sim_months, sync_usage_for_sim
from usage.tests.factories import UsageRecordFactory

pytestmark = pytest.mark.django_db


def test_a_months_totals_are_recomputed_from_the_records(organization):
    sim = SimFactory(organization=organization)
    for day, rx in ((date(2026, 10, 31), 7), (date(2026, 11, 1), 100), (date(2026, 11, 20), 50)):
        UsageRecordFactory(sim=sim, date=day, data_rx_bytes=rx, data_tx_bytes=1, sms_mo=2, sms_mt=1)

    refresh_sim_months(sim=sim, dates=[date(2026, 11, 20), date(2026, 10, 31)])

    rows = {r.month: (r.data_bytes, r.sms) for r in SimMonthlyUsage.objects.filter(sim=sim)}
    assert rows == {date(2026, 10, 1): (8, 3), date(2026, 11, 1): (152, 6)}
    assert month_usage([sim.pk], month=date(2026, 11, 1)) == {sim.pk: (152, 6)}


def test_top_consumers_rank_the_month_and_keep_to_the_organizations(
    organization, other_organization
):
    month = date(2026, 11, 1)
    small, big = SimFactory(organization=organization), SimFactory(organization=organization)
    foreign = SimFactory(organization=other_organization)
    for sim, volume in ((small, 10), (big, 500), (foreign, 9000)):
        UsageRecordFactory(sim=sim, date=date(2026, 11, 3), data_rx_bytes=volume, data_tx_bytes=0)
        refresh_sim_months(sim=sim, dates=[date(2026, 11, 3)])

    ranked = top_consumers(organization_ids=[organization.pk], month=month)

    assert [(c.iccid, c.volume) for c in ranked] == [(big.iccid, 500), (small.iccid, 10)]
    everyone = top_consumers(organization_ids=None, month=month, limit=1)
    assert [c.iccid for c in everyone] == [foreign.iccid]


@pytest.mark.django_db(transaction=True)
def test_the_usage_sync_keeps_the_monthly_rollup(onence_fleet):
    sim = onence_fleet[0]
    sync_usage_for_sim(sim=sim)

    from django.db.models import F, Sum

    from usage.models import UsageRecord

    for row in SimMonthlyUsage.objects.filter(sim=sim):
        records = UsageRecord.objects.filter(
            sim=sim, date__year=row.month.year, date__month=row.month.month
        )
        total = records.aggregate(v=Sum(F("data_rx_bytes") + F("data_tx_bytes")))["v"]
        assert row.data_bytes == total
    assert SimMonthlyUsage.objects.filter(sim=sim).exists()
