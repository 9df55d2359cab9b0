"""``check_quotas`` judges each quota by one limits rule (``sims.selectors.EffectiveLimits``) at a
constant number of queries per batch, however many quotas it reads."""

import pytest

from quotas.models import AutoTopUpRule, Quota, QuotaType
from quotas.services import check_quotas
from sims.models import EventType, LimitSet, SimEvent
from sims.tests.factories import SimFactory

pytestmark = pytest.mark.django_db

# The connected 1NCE accounts, the enabled rules (none here), the quotas, and per batch of
# quotas: their rules and their limits.
CHECK_QUERIES = 5


def quota(sim, *, used_percent: int) -> Quota:
    return Quota.objects.create(
        sim=sim, quota_type=QuotaType.DATA, volume=1000, remaining=1000 - 10 * used_percent
    )


def make_quotas(organization, count: int, *, used_percent: int = 10) -> None:
    LimitSet.objects.get_or_create(
        organization=organization, sim=None, defaults={"alert_threshold_percent": 60}
    )
    for n in range(count):
        sim = SimFactory(organization=organization)
        quota(sim, used_percent=used_percent)
        if n % 3 == 0:
            LimitSet.objects.create(organization=organization, sim=sim, alert_threshold_percent=50)
        if n % 3 == 1:
            AutoTopUpRule.objects.create(
                sim=sim,
                organization=organization,
                quota_type=QuotaType.DATA,
                threshold_percentage=30,
                topup_amount=1,
                enabled=False,
            )


@pytest.mark.parametrize("count", [1, 3, 30])
def test_check_quotas_costs_the_same_queries_for_any_number_of_quotas(
    organization, count, django_assert_num_queries
):
    make_quotas(organization, count)
    with django_assert_num_queries(CHECK_QUERIES):
        stats = check_quotas()
    assert stats == {"checked": count, "crossed": 0, "topped_up": 0, "errors": 0}


def test_check_quotas_reads_each_sims_threshold_by_the_one_limits_rule(
    organization, other_organization, settings
):
    settings.QUOTA_THRESHOLD_PERCENT = 80
    LimitSet.objects.create(organization=organization, sim=None, alert_threshold_percent=60)
    own = SimFactory(organization=organization)  # its own 50%: crossed at 55%
    LimitSet.objects.create(organization=organization, sim=own, alert_threshold_percent=50)
    inherited = SimFactory(organization=organization)  # the organization's 60%: not crossed
    zero = SimFactory(organization=organization)  # 0 is "not set": the organization's 60%
    LimitSet.objects.create(organization=organization, sim=zero, alert_threshold_percent=0)
    ruled = SimFactory(organization=organization)  # a disabled rule's 30% still counts
    AutoTopUpRule.objects.create(
        sim=ruled,
        organization=organization,
        quota_type=QuotaType.DATA,
        threshold_percentage=30,
        topup_amount=1,
        enabled=False,
    )
    default = SimFactory(organization=other_organization)  # no limits anywhere: 80%
    stranger = SimFactory(organization=other_organization)
    for sim in (own, inherited, zero, ruled, default):
        quota(sim, used_percent=55)
    quota(stranger, used_percent=85)

    stats = check_quotas()

    crossed = set(
        SimEvent.objects.filter(event_type=EventType.QUOTA_THRESHOLD_REACHED).values_list(
            "sim__iccid", flat=True
        )
    )
    assert crossed == {own.iccid, ruled.iccid, stranger.iccid}
    assert stats["crossed"] == 3
