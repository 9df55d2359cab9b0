"""The SLA rule (issue 15), pure: dataclasses in, a result out, ``Decimal`` only, no I/O.

MTTR is the whole minutes between detection and resolution. Violated when MTTR exceeds the
threshold: amount = -(MTTR - threshold) x penalty per minute, rating poor, a penalty. Met
otherwise, with ratio = MTTR x 100 // threshold: under 50 pays 200 % of the reward base
(exceptional), under 75 pays 150 % (excellent), else 100 % (good), a reward.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")

MET = "met"
VIOLATED = "violated"
IN_PROGRESS = "in_progress"
PENALTY = "penalty"
REWARD = "reward"

# (ratio below which it applies, multiplier of the reward base, rating); the last one catches all.
REWARD_TIERS: tuple[tuple[int | None, Decimal, str], ...] = (
    (50, Decimal("2.00"), "exceptional"),
    (75, Decimal("1.50"), "excellent"),
    (None, Decimal("1.00"), "good"),
)
POOR = "poor"

# Bounds an admin may set (inclusive).
THRESHOLD_MINUTES_BOUNDS = (1, 1440)
PENALTY_PER_MINUTE_BOUNDS = (Decimal("1"), Decimal("10000"))
REWARD_BASE_BOUNDS = (Decimal("1"), Decimal("100000"))

# The share of the threshold at which a running outage is flagged as about to breach.
DEFAULT_WARNING_PERCENT = 80


@dataclass(frozen=True, slots=True)
class SlaTerms:
    threshold_minutes: int
    penalty_per_minute: Decimal
    reward_base: Decimal
    version: int = 0


# Seed 004's defaults, per severity.
DEFAULT_TERMS: dict[str, SlaTerms] = {
    "critical": SlaTerms(15, Decimal("100.00"), Decimal("750.00")),
    "high": SlaTerms(30, Decimal("50.00"), Decimal("750.00")),
    "medium": SlaTerms(60, Decimal("25.00"), Decimal("750.00")),
    "low": SlaTerms(120, Decimal("10.00"), Decimal("600.00")),
}


@dataclass(frozen=True, slots=True)
class SlaOutcome:
    status: str  # met | violated
    mttr_minutes: int
    threshold_minutes: int
    ratio: int | None  # MTTR x 100 // threshold when met
    amount: Decimal  # negative for a penalty
    performance_rating: str
    payment_type: str  # reward | penalty
    config_version: int

    @property
    def penalty_amount(self) -> Decimal:
        return -self.amount if self.amount < 0 else Decimal("0.00")

    @property
    def reward_amount(self) -> Decimal:
        return self.amount if self.amount > 0 else Decimal("0.00")


@dataclass(frozen=True, slots=True)
class SlaClock:
    """Where a running outage stands against its threshold."""

    elapsed_minutes: int
    threshold_minutes: int
    time_remaining_minutes: int
    warning: bool  # at or past the warning share of the threshold
    breached: bool  # past the threshold: it would be violated if resolved now


def whole_minutes(start: datetime, end: datetime) -> int:
    """Whole minutes from ``start`` to ``end`` (truncated; never negative)."""
    if end < start:
        raise ValueError("end is before start")
    return (end - start) // timedelta(minutes=1)


def evaluate(mttr_minutes: int, terms: SlaTerms) -> SlaOutcome:
    """The SLA outcome of an outage resolved in ``mttr_minutes`` under ``terms``."""
    if mttr_minutes < 0:
        raise ValueError("MTTR cannot be negative")
    threshold = terms.threshold_minutes
    if threshold < 1:
        raise ValueError("the threshold must be at least one minute")
    if mttr_minutes > threshold:
        amount = -(Decimal(mttr_minutes - threshold) * terms.penalty_per_minute)
        return SlaOutcome(
            status=VIOLATED,
            mttr_minutes=mttr_minutes,
            threshold_minutes=threshold,
            ratio=None,
            amount=amount.quantize(CENT, rounding=ROUND_HALF_UP),
            performance_rating=POOR,
            payment_type=PENALTY,
            config_version=terms.version,
        )
    ratio = mttr_minutes * 100 // threshold
    multiplier, rating = next(
        (m, r) for below, m, r in REWARD_TIERS if below is None or ratio < below
    )
    return SlaOutcome(
        status=MET,
        mttr_minutes=mttr_minutes,
        threshold_minutes=threshold,
        ratio=ratio,
        amount=(terms.reward_base * multiplier).quantize(CENT, rounding=ROUND_HALF_UP),
        performance_rating=rating,
        payment_type=REWARD,
        config_version=terms.version,
    )


def evaluate_outage(detected_at: datetime, resolved_at: datetime, terms: SlaTerms) -> SlaOutcome:
    """The SLA outcome from the outage's own timestamps."""
    return evaluate(whole_minutes(detected_at, resolved_at), terms)


def clock(
    detected_at: datetime,
    now: datetime,
    terms: SlaTerms,
    warning_percent: int = DEFAULT_WARNING_PERCENT,
) -> SlaClock:
    """The running SLA clock of an unresolved outage at ``now``."""
    elapsed = whole_minutes(detected_at, max(now, detected_at))
    threshold = terms.threshold_minutes
    return SlaClock(
        elapsed_minutes=elapsed,
        threshold_minutes=threshold,
        time_remaining_minutes=max(threshold - elapsed, 0),
        warning=elapsed * 100 >= threshold * warning_percent,
        breached=elapsed > threshold,
    )


def warning_after(terms: SlaTerms, warning_percent: int = DEFAULT_WARNING_PERCENT) -> timedelta:
    """How long after detection ``clock`` first says ``warning`` (whole minutes)."""
    minutes = -(-terms.threshold_minutes * warning_percent // 100)  # ceiling
    return timedelta(minutes=minutes)


def breach_after(terms: SlaTerms) -> timedelta:
    """How long after detection ``clock`` first says ``breached``."""
    return timedelta(minutes=terms.threshold_minutes + 1)


def term_errors(
    *, threshold_minutes: int, penalty_per_minute: Decimal, reward_base: Decimal
) -> dict[str, str]:
    """Each term outside its bounds, by field, with the message to show."""
    errors = {}
    checks = (
        ("threshold_minutes", threshold_minutes, THRESHOLD_MINUTES_BOUNDS),
        ("penalty_per_minute", penalty_per_minute, PENALTY_PER_MINUTE_BOUNDS),
        ("reward_base", reward_base, REWARD_BASE_BOUNDS),
    )
    for field, value, (low, high) in checks:
        if not low <= value <= high:
            errors[field] = f"{field} must be between {low} and {high}."
    return errors
