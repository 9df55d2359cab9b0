"""Reads: outages of an organization, the SLA terms in force, an outage's SLA status."""

from dataclasses import replace
from datetime import datetime

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from core.errors import NotFound
from outages import sla
from outages.models import Outage, SlaConfig, SlaResult, parse_public_id
from outages.settlement import NOT_SETTLED, Settlement, settlements_for


def outages_of(organization_ids) -> QuerySet[Outage]:
    """Outages of the given organizations (``None``: all), with what a list row shows."""
    queryset = Outage.objects.select_related("assigned_to", "created_by", "sla_result__config")
    if organization_ids is not None:
        queryset = queryset.filter(organization_id__in=organization_ids)
    return queryset


def outage_for(*, organization_id: int, outage_id: str, queryset=None) -> Outage:
    """The outage ``OUT000123`` of the organization; NotFound for any other (another
    organization's outage is simply not there)."""
    number = parse_public_id(outage_id)
    queryset = queryset if queryset is not None else outages_of([organization_id])
    outage = None
    if number is not None:
        outage = queryset.filter(organization_id=organization_id, number=number).first()
    if outage is None:
        raise NotFound(f"Outage {outage_id} not found.")
    return outage


class TermsInForce(dict):
    """:func:`terms_in_force` read an organization at a time, when a row of it first asks (a
    page is read as it is answered, so its organizations are not known before)."""

    def __missing__(self, key: tuple[int, str]) -> sla.SlaTerms:
        terms = terms_in_force([key[0]])
        self.update(terms)
        return terms[key]  # a KeyError for a severity there are no terms for


def terms_in_force(organization_ids) -> dict[tuple[int, str], sla.SlaTerms]:
    """The terms in force per (organization, severity), in one query; seed 004's defaults (as
    version 1, which they become on first use) where an organization has none yet."""
    terms: dict[tuple[int, str], sla.SlaTerms] = {}
    configs = SlaConfig.objects.filter(organization_id__in=organization_ids).order_by(
        "organization_id", "severity", "-version"
    )
    for config in configs:
        key = (config.organization_id, config.severity)
        if key not in terms:
            terms[key] = sla.SlaTerms(
                config.threshold_minutes,
                config.penalty_per_minute,
                config.reward_base,
                config.version,
            )
    for organization_id in organization_ids:
        for severity, default in sla.DEFAULT_TERMS.items():
            terms.setdefault((organization_id, severity), replace(default, version=1))
    return terms


# The columns of an SLA result that ``sla_status`` reads (with its config's version).
RESULT_COLUMNS = (
    "id",
    "status",
    "mttr_minutes",
    "threshold_minutes",
    "amount",
    "performance_rating",
    "payment_type",
    "evaluated_at",
)


def result_of(outage: Outage) -> SlaResult | None:
    try:
        return outage.sla_result
    except SlaResult.DoesNotExist:
        return None


def money(value) -> float:
    return float(value)


def sla_status(
    outage: Outage,
    terms: sla.SlaTerms,
    settlement: Settlement = NOT_SETTLED,
    now: datetime | None = None,
) -> dict:
    """Seed 004's ``sla_status`` of an outage: the recorded result once resolved and
    evaluated, else the running clock (MTTR so far, minutes left before breach)."""
    result = result_of(outage)
    sources = timestamp_sources(outage)
    if result is not None:
        return {
            "status": result.status,
            "mttr_minutes": result.mttr_minutes,
            "threshold_minutes": result.threshold_minutes,
            "penalty_amount": money(-result.amount if result.amount < 0 else 0),
            "reward_amount": money(result.amount if result.amount > 0 else 0),
            "amount": money(result.amount),
            "performance_rating": result.performance_rating,
            "payment_type": result.payment_type,
            "config_version": result.config.version,
            "evaluated_at": result.evaluated_at,
            "smart_contract_invoked": settlement.smart_contract_invoked,
            "contract_tx_hash": settlement.contract_tx_hash,
            "payment_executed": settlement.payment_executed,
            "payment_tx_hash": settlement.payment_tx_hash,
            "timestamp_sources": sources,
        }
    if outage.resolved_at is not None:  # resolved, evaluation pending (the watch catches up)
        return {
            "status": "pending",
            "mttr_minutes": outage.mttr_minutes,
            "threshold_minutes": terms.threshold_minutes,
            "time_remaining_minutes": None,
            "config_version": terms.version,
            "timestamp_sources": sources,
        }
    clock = sla.clock(
        outage.detected_at, now or timezone.now(), terms, settings.SLA_WARNING_PERCENT
    )
    return {
        "status": sla.IN_PROGRESS,
        "mttr_minutes": None,
        "elapsed_minutes": clock.elapsed_minutes,
        "threshold_minutes": clock.threshold_minutes,
        "time_remaining_minutes": clock.time_remaining_minutes,
        "at_risk": clock.warning,
        "breached": clock.breached,
        "config_version": terms.version,
        "timestamp_sources": sources,
    }


def timestamp_sources(outage: Outage) -> dict:
    """Whether the outage's timestamps came from evidence (SIM events) or a person: the SLA
    result rests on them."""
    return {
        "detected_at": outage.detected_at_source,
        "resolved_at": outage.resolved_at_source if outage.resolved_at else None,
    }


class PageSettlements:
    """Each outage's settlement by outage id, as :func:`settlements_of` gives them, for a page
    still to be read (a queryset): read for the whole page when the first row with an SLA
    result asks; a page without one costs no query."""

    def __init__(self, page: QuerySet[Outage]):
        self._page = page
        self._settlements: dict[int, Settlement] | None = None

    def get(self, outage_id: int, default: Settlement = NOT_SETTLED) -> Settlement:
        if self._settlements is None:
            results = SlaResult.objects.filter(outage__in=self._page.values("pk"))
            self._settlements = _settled(dict(results.values_list("pk", "outage_id")))
        return self._settlements.get(outage_id, default)


def settlements_of(outages) -> dict[int, Settlement]:
    """Each outage's settlement by outage id (one call to the payments source)."""
    by_result = {}
    for outage in outages:
        result = result_of(outage)
        if result is not None:
            by_result[result.pk] = outage.pk
    return _settled(by_result)


def _settled(by_result: dict[int, int]) -> dict[int, Settlement]:
    """The settlements of the results (result id -> outage id) by outage id, in one call to the
    payments source."""
    settled = settlements_for(list(by_result))
    return {by_result[rid]: s for rid, s in settled.items()}
