"""The pure SLA rule: every branch and boundary, seed 004's examples to the cent."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from outages import sla

CRITICAL = sla.DEFAULT_TERMS["critical"]
T0 = datetime(2026, 1, 16, 9, 30, tzinfo=UTC)


def terms(threshold=100, penalty="10.00", reward="1000.00"):
    return sla.SlaTerms(threshold, Decimal(penalty), Decimal(reward), version=3)


def test_seed_example_critical_25_minutes_is_violated_minus_1000():
    outcome = sla.evaluate(25, CRITICAL)
    assert outcome.status == "violated"
    assert outcome.amount == Decimal("-1000.00")
    assert str(outcome.amount) == "-1000.00"
    assert outcome.performance_rating == "poor"
    assert outcome.payment_type == "penalty"
    assert outcome.penalty_amount == Decimal("1000.00")
    assert outcome.reward_amount == Decimal("0.00")


def test_seed_example_critical_15_minutes_is_met_750_good():
    outcome = sla.evaluate(15, CRITICAL)
    assert (outcome.status, outcome.amount, outcome.performance_rating) == (
        "met",
        Decimal("750.00"),
        "good",
    )
    assert outcome.payment_type == "reward"
    assert outcome.ratio == 100


@pytest.mark.parametrize(
    ("mttr", "status", "amount", "rating", "ratio"),
    [
        (0, "met", "2000.00", "exceptional", 0),
        (49, "met", "2000.00", "exceptional", 49),
        (50, "met", "1500.00", "excellent", 50),  # ratio exactly 50: not under 50
        (74, "met", "1500.00", "excellent", 74),
        (75, "met", "1000.00", "good", 75),  # ratio exactly 75: not under 75
        (100, "met", "1000.00", "good", 100),  # MTTR = threshold: met
        (101, "violated", "-10.00", "poor", None),  # threshold + 1
        (250, "violated", "-1500.00", "poor", None),
    ],
)
def test_every_branch_and_boundary(mttr, status, amount, rating, ratio):
    outcome = sla.evaluate(mttr, terms())
    assert outcome.status == status
    assert outcome.amount == Decimal(amount)
    assert outcome.performance_rating == rating
    assert outcome.ratio == ratio
    assert outcome.config_version == 3


def test_ratio_is_integer_division_not_rounding():
    # 11 x 100 // 15 = 73 (73.3): excellent; 12 x 100 // 15 = 80: good.
    assert sla.evaluate(11, CRITICAL).performance_rating == "excellent"
    assert sla.evaluate(7, CRITICAL).ratio == 46  # 46.6 truncated: exceptional
    assert sla.evaluate(7, CRITICAL).performance_rating == "exceptional"
    assert sla.evaluate(12, CRITICAL).performance_rating == "good"


def test_amounts_are_decimal_to_the_cent():
    outcome = sla.evaluate(3, terms(threshold=7, reward="333.33"))  # ratio 42: 200 %
    assert outcome.amount == Decimal("666.66")
    outcome = sla.evaluate(5, terms(threshold=7, reward="333.33"))  # ratio 71: 150 %
    assert outcome.amount == Decimal("500.00")  # 499.995 rounds half up
    penalty = sla.evaluate(10, terms(threshold=7, penalty="0.35"))
    assert penalty.amount == Decimal("-1.05")
    assert all(isinstance(o.amount, Decimal) for o in (outcome, penalty))


def test_mttr_is_whole_minutes_from_the_timestamps():
    assert sla.whole_minutes(T0, T0 + timedelta(minutes=15, seconds=59)) == 15
    assert sla.whole_minutes(T0, T0 + timedelta(seconds=59)) == 0
    outcome = sla.evaluate_outage(T0, T0 + timedelta(minutes=25, seconds=30), CRITICAL)
    assert outcome.mttr_minutes == 25
    assert outcome.status == "violated"
    with pytest.raises(ValueError, match="before start"):
        sla.whole_minutes(T0, T0 - timedelta(seconds=1))


def test_clock_warns_at_80_percent_and_breaches_past_the_threshold():
    at = lambda minutes: sla.clock(T0, T0 + timedelta(minutes=minutes), CRITICAL)  # noqa: E731
    assert not at(11).warning  # 11 / 15 = 73 %
    assert at(12).warning and not at(12).breached  # 80 %
    assert at(12).time_remaining_minutes == 3
    assert not at(15).breached  # MTTR = threshold is still met
    assert at(16).breached and at(16).time_remaining_minutes == 0
    assert sla.warning_after(CRITICAL) == timedelta(minutes=12)
    assert sla.breach_after(CRITICAL) == timedelta(minutes=16)
    assert sla.warning_after(sla.DEFAULT_TERMS["high"]) == timedelta(minutes=24)


@pytest.mark.parametrize(
    ("field", "low", "high"),
    [
        ("threshold_minutes", 1, 1440),
        ("penalty_per_minute", Decimal("1"), Decimal("10000")),
        ("reward_base", Decimal("1"), Decimal("100000")),
    ],
)
def test_config_bounds_are_inclusive(field, low, high):
    base = {
        "threshold_minutes": 15,
        "penalty_per_minute": Decimal("100"),
        "reward_base": Decimal("750"),
    }
    assert sla.term_errors(**{**base, field: low}) == {}
    assert sla.term_errors(**{**base, field: high}) == {}
    assert field in sla.term_errors(
        **{**base, field: low - 1 if field == "threshold_minutes" else low - Decimal("0.01")}
    )
    assert field in sla.term_errors(
        **{**base, field: high + 1 if field == "threshold_minutes" else high + Decimal("0.01")}
    )


def test_seed_defaults():
    assert {
        s: (t.threshold_minutes, t.penalty_per_minute, t.reward_base)
        for s, t in sla.DEFAULT_TERMS.items()
    } == {
        "critical": (15, Decimal("100.00"), Decimal("750.00")),
        "high": (30, Decimal("50.00"), Decimal("750.00")),
        "medium": (60, Decimal("25.00"), Decimal("750.00")),
        "low": (120, Decimal("10.00"), Decimal("600.00")),
    }


def reference_cents(mttr: int, threshold: int, penalty_cents: int, reward_cents: int) -> int:
    """The issue's formula in whole cents with integers only (no Decimal, no float): an
    independent statement of what ``sla.evaluate`` must answer, half a cent rounded up."""
    if mttr > threshold:
        return -(mttr - threshold) * penalty_cents
    ratio = mttr * 100 // threshold
    percent = 200 if ratio < 50 else 150 if ratio < 75 else 100
    return (reward_cents * percent + 50) // 100


@pytest.mark.parametrize(
    ("threshold", "penalty", "reward"),
    [
        (1, "1.00", "1.00"),  # the lower bounds
        (7, "0.35", "333.33"),  # odd cents: 150 % lands on half a cent
        (15, "100.00", "750.00"),
        (30, "50.00", "750.00"),
        (60, "25.00", "750.00"),
        (120, "10.00", "600.00"),
        (97, "12.34", "99999.99"),
        (1440, "10000.00", "100000.00"),  # the upper bounds
    ],
)
def test_every_mttr_matches_the_formula_to_the_cent(threshold, penalty, reward):
    terms = sla.SlaTerms(threshold, Decimal(penalty), Decimal(reward))
    penalty_cents, reward_cents = int(Decimal(penalty) * 100), int(Decimal(reward) * 100)
    for mttr in range(3 * threshold + 3):  # every branch, each ratio boundary, threshold + 1
        outcome = sla.evaluate(mttr, terms)
        expected = reference_cents(mttr, threshold, penalty_cents, reward_cents)
        assert outcome.amount == Decimal(expected) / 100, (mttr, outcome)
        assert outcome.amount.as_tuple().exponent == -2
        assert outcome.status == ("violated" if mttr > threshold else "met")
