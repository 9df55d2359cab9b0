"""One limits rule (``sims.selectors.EffectiveLimits``): a SIM's own value, else its
organization's, else the settings', with the meaning of None, 0 and empty lists per field."""

import pytest

from sims.models import LimitSet
from sims.selectors import effective_limits, effective_limits_for
from sims.tests.factories import SimFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sim(organization):
    return SimFactory(organization=organization, msisdn="491701234567")


def test_a_sims_own_value_wins_and_none_inherits(sim, organization):
    LimitSet.objects.create(
        organization=organization, daily_data_limit=100, monthly_data_limit=1000
    )
    LimitSet.objects.create(
        organization=organization, sim=sim, daily_data_limit=0, enforce_limits=False
    )
    limits = effective_limits(sim=sim)
    assert limits.daily_data_limit == 0  # a limit of nothing is a limit
    assert limits.monthly_data_limit == 1000  # None inherits
    assert limits.enforce_limits is False
    assert limits.daily_sms_limit is None  # unset at both levels: no limit


def test_destinations_allowed_inherit_when_empty_and_blocked_add_up(sim, organization):
    LimitSet.objects.create(
        organization=organization,
        sms_allowed_destinations=["4917"],
        sms_blocked_destinations=["4930"],
    )
    own = LimitSet.objects.create(
        organization=organization, sim=sim, sms_blocked_destinations=["4917012"]
    )
    limits = effective_limits(sim=sim)
    assert limits.sms_allowed_destinations == ["4917"]
    assert limits.sms_blocked_destinations == ["4917012", "4930"]
    assert limits.refuses_destination("+491701234567") == "blocked"
    assert limits.refuses_destination("491800000") == "not_allowed"
    assert limits.refuses_destination("4917999") is None
    own.sms_allowed_destinations = ["4918"]
    own.save()
    assert effective_limits(sim=sim).sms_allowed_destinations == ["4918"]


def test_alert_threshold_zero_or_none_inherits_down_to_the_settings(sim, organization, settings):
    settings.QUOTA_THRESHOLD_PERCENT = 85
    assert effective_limits(sim=sim).threshold_percent == 85
    LimitSet.objects.create(organization=organization, alert_threshold_percent=70)
    own = LimitSet.objects.create(organization=organization, sim=sim, alert_threshold_percent=0)
    assert effective_limits(sim=sim).threshold_percent == 70
    own.alert_threshold_percent = 40
    own.save()
    assert effective_limits(sim=sim).threshold_percent == 40


def test_another_organizations_limits_never_apply(sim, other_organization):
    LimitSet.objects.create(organization=other_organization, daily_data_limit=5)
    assert effective_limits(sim=sim).daily_data_limit is None


def test_many_sims_limits_cost_one_query(organization, django_assert_num_queries):
    sims = [SimFactory(organization=organization) for _ in range(5)]
    LimitSet.objects.create(organization=organization, daily_sms_limit=9)
    LimitSet.objects.create(organization=organization, sim=sims[0], daily_sms_limit=1)
    with django_assert_num_queries(1):
        limits = effective_limits_for(sims)
    assert [limits[s.pk].daily_sms_limit for s in sims] == [1, 9, 9, 9, 9]
