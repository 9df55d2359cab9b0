"""SIM reads shared by services, views, tasks and other apps (writes live in ``services``)."""

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

from django.conf import settings
from django.db.models import Q, QuerySet

from accounts.models import Organization
from core.errors import NotFound
from core.identifiers import normalize_iccid
from core.tenancy import scope_to_organization
from sims.models import ConnectivityReset, LimitSet, Sim, SimEvent
from sims.services.clients import ONENCE_ACCOUNTS


def connected_organizations() -> QuerySet[Organization]:
    """Active organizations with a 1NCE account connected (their own, or the default one they
    own): the only ones whose SIMs are synced and read from 1NCE."""
    return Organization.objects.filter(is_active=True).filter(ONENCE_ACCOUNTS.connected())


def connected_sims(sims: QuerySet[Sim] | None = None) -> QuerySet[Sim]:
    """``sims`` (all SIMs by default) of organizations with a 1NCE account connected."""
    sims = Sim.objects.all() if sims is None else sims
    return sims.filter(organization__is_active=True).filter(
        ONENCE_ACCOUNTS.connected(field="organization")
    )


def sim_for_user(iccid: str, *, user) -> Sim:
    """The SIM ``iccid`` names, if ``user``'s organization may see it.

    Validates the ICCID first (``InvalidIccid``, 400), then looks only inside the user's
    organization (all of them for a superuser), so a foreign SIM is ``NotFound`` (404), never
    403. For views nested under ``/sims/{iccid}/`` in other apps
    (``core.viewsets.ParentLookupMixin``).
    """
    sims = scope_to_organization(Sim.objects.select_related("organization"), user)
    sim = sims.filter(iccid=normalize_iccid(iccid)).first()
    if sim is None:
        raise NotFound("Not found.")
    return sim


def latest_reset(*, sim: Sim) -> ConnectivityReset:
    """The SIM's latest connectivity reset; ``NotFound`` when it never had one."""
    reset = ConnectivityReset.objects.filter(sim=sim).first()
    if reset is None:
        raise NotFound("Not found.")
    return reset


def sim_events(*, sim: Sim) -> QuerySet[SimEvent]:
    """The SIM's events (1NCE's and ours), newest first."""
    return SimEvent.objects.filter(sim=sim).order_by("-occurred_at", "-id")


# --- Limits --------------------------------------------------------------------------------

LIMIT_FIELDS = (
    "daily_data_limit",
    "monthly_data_limit",
    "daily_sms_limit",
    "monthly_sms_limit",
    "enforce_limits",
    "sms_allowed_destinations",
    "sms_blocked_destinations",
    "alert_threshold_percent",
)


@dataclass(frozen=True)
class EffectiveLimits:
    """A SIM's limits after inheritance: the SIM's own set, else its organization's.

    What each field means, and when a SIM's value gives way to the organization's:

    - ``daily_/monthly_data_limit``, ``daily_/monthly_sms_limit`` (bytes, SMS): None is "no
      limit here" and inherits; 0 is a limit of nothing and is kept.
    - ``enforce_limits``: None inherits; False is kept.
    - ``sms_allowed_destinations`` (MSISDN prefixes): an empty list inherits; empty at both
      levels allows every destination.
    - ``sms_blocked_destinations``: both lists together: a block is never inherited away.
    - ``alert_threshold_percent``: None or 0 inherits; :attr:`threshold_percent` adds the
      last fallback, ``settings.QUOTA_THRESHOLD_PERCENT``.
    """

    daily_data_limit: int | None = None
    monthly_data_limit: int | None = None
    daily_sms_limit: int | None = None
    monthly_sms_limit: int | None = None
    enforce_limits: bool | None = None
    sms_allowed_destinations: list[str] = field(default_factory=list)
    sms_blocked_destinations: list[str] = field(default_factory=list)
    alert_threshold_percent: int | None = None

    @classmethod
    def inherit(cls, own: LimitSet | None, base: LimitSet | None) -> "EffectiveLimits":
        def value(name, inherits):
            mine = getattr(own, name, None)
            return getattr(base, name, None) if inherits(mine) else mine

        blocked = [
            *(getattr(own, "sms_blocked_destinations", None) or []),
            *(getattr(base, "sms_blocked_destinations", None) or []),
        ]
        return cls(
            daily_data_limit=value("daily_data_limit", _unset),
            monthly_data_limit=value("monthly_data_limit", _unset),
            daily_sms_limit=value("daily_sms_limit", _unset),
            monthly_sms_limit=value("monthly_sms_limit", _unset),
            enforce_limits=value("enforce_limits", _unset),
            sms_allowed_destinations=list(value("sms_allowed_destinations", _empty) or []),
            sms_blocked_destinations=list(dict.fromkeys(blocked)),
            alert_threshold_percent=value("alert_threshold_percent", _empty) or None,
        )

    @property
    def threshold_percent(self) -> int:
        """Percent of a quota used at which an alert is due (the settings' default last)."""
        return self.alert_threshold_percent or settings.QUOTA_THRESHOLD_PERCENT

    def refuses_destination(self, destination: str) -> str | None:
        """Why an SMS to ``destination`` may not be sent ("blocked", "not_allowed"), or None."""
        number = (destination or "").lstrip("+")

        def matches(prefixes):
            return any(number.startswith(str(p).lstrip("+")) for p in prefixes if p)

        if matches(self.sms_blocked_destinations):
            return "blocked"
        if self.sms_allowed_destinations and not matches(self.sms_allowed_destinations):
            return "not_allowed"
        return None

    def as_dict(self) -> dict:
        return asdict(self)


def _unset(value) -> bool:
    return value is None


def _empty(value) -> bool:
    return not value


def effective_limits_for(sims: Iterable[Sim]) -> dict[int, EffectiveLimits]:
    """Each SIM's :class:`EffectiveLimits` by SIM id, in one query however many SIMs."""
    sims = list(sims)
    if not sims:
        return {}
    rows = LimitSet.objects.filter(
        Q(sim__in=[s.pk for s in sims])
        | Q(sim__isnull=True, organization_id__in={s.organization_id for s in sims})
    )
    own, base = {}, {}
    for row in rows:
        if row.sim_id is None:
            base[row.organization_id] = row
        else:
            own[row.sim_id] = row
    return {s.pk: EffectiveLimits.inherit(own.get(s.pk), base.get(s.organization_id)) for s in sims}


def effective_limits(*, sim: Sim) -> EffectiveLimits:
    """The SIM's limits after inheritance (see :class:`EffectiveLimits`)."""
    return effective_limits_for([sim])[sim.pk]


def sim_limits(*, sim: Sim) -> LimitSet | None:
    """The SIM's own overrides, None when it has none."""
    return LimitSet.objects.filter(sim=sim).first()
