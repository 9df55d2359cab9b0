"""``limit.approached``: a sync that takes a day's or a month's use to the alert threshold of a
SIM's limit warns once per period (seed 000 US-024), through the SIM's own limits or its
organization's."""

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.db.models import F, Sum

from core.models import DomainEvent
from sims.models import EventType, LimitSet, SimEvent
from sims.tests.factories import SimFactory
from simulators.onence import testing
from simulators.onence.models import OnenceUsageDay
from usage.services import sync_usage_for_sim

pytestmark = pytest.mark.django_db(transaction=True)

# Mid-month, so the month to date holds days of use whatever the calendar says today.
MID_MONTH = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def sim(onence_sim, organization):
    with time_machine.travel(MID_MONTH, tick=True):
        iccids = testing.seed_fleet(sims=3, days=10, seed=11)
    return SimFactory(organization=organization, iccid=max(iccids, key=month_data))


def month_data(iccid: str) -> int:
    """The month's data use as 1NCE counted it (what a sync stores)."""
    totals = OnenceUsageDay.objects.filter(sim__iccid=iccid, date__gte=date(2026, 11, 1)).aggregate(
        used=Sum(F("data_rx") + F("data_tx"))
    )
    return totals["used"] or 0


def warnings(sim):
    return list(SimEvent.objects.filter(sim=sim, event_type=EventType.LIMIT_APPROACHED))


def sync(sim):
    with time_machine.travel(MID_MONTH, tick=True):
        sync_usage_for_sim(sim=sim)


def test_month_at_the_threshold_warns_once_with_the_figures(sim, organization):
    used = month_data(sim.iccid)
    assert used > 0
    LimitSet.objects.create(
        organization=organization, sim=sim, monthly_data_limit=used, alert_threshold_percent=90
    )

    sync(sim)

    [warning] = warnings(sim)
    assert warning.details == {
        "limit": "monthly_data_limit",
        "period": "2026-11",
        "used": used,
        "value": used,
        "percent_used": 100.0,
        "threshold_percent": 90,
    }
    published = DomainEvent.objects.get(name="limit.approached")
    assert published.organization_id == organization.pk
    assert published.data["iccid"] == sim.iccid
    assert published.data["limit"] == "monthly_data_limit"

    OnenceUsageDay.objects.filter(sim__iccid=sim.iccid, date=date(2026, 11, 20)).update(
        data_rx=F("data_rx") + 1
    )
    sync(sim)  # the same month, still over and changed: nothing more
    assert len(warnings(sim)) == 1


def test_the_organizations_limit_applies_when_the_sim_has_none(sim, organization):
    used = month_data(sim.iccid)
    LimitSet.objects.create(organization=organization, monthly_data_limit=used * 2)  # 50 % used
    LimitSet.objects.create(organization=organization, sim=sim, alert_threshold_percent=50)

    sync(sim)

    assert [w.details["limit"] for w in warnings(sim)] == ["monthly_data_limit"]


def test_use_under_the_threshold_and_limits_of_nothing_warn_nothing(sim, organization):
    LimitSet.objects.create(
        organization=organization,
        sim=sim,
        monthly_data_limit=month_data(sim.iccid) * 10,  # 10 % used, threshold 80 %
        daily_sms_limit=0,  # a limit of nothing has no threshold to approach
        alert_threshold_percent=80,
    )

    sync(sim)

    assert warnings(sim) == []
    assert not DomainEvent.objects.filter(name="limit.approached").exists()


def test_another_organizations_limits_do_not_apply(sim, other_organization):
    LimitSet.objects.create(organization=other_organization, monthly_data_limit=1)
    sync(sim)
    assert warnings(sim) == []
