"""Sites: create, change, delete; SIMs placed at a site (one by one, in bulk, or by the tag rule
``site:<CODE>``); an organization's detection policy."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q

from accounts.audit import record_audit
from core.context import Context
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from core.identifiers import normalize_iccid
from sims.models import Sim
from sites.models import (
    SITE_CODE,
    SITE_TAG_PREFIX,
    Criticality,
    DetectionPolicy,
    SimPresence,
    Site,
    SiteOutage,
    SiteOutageState,
)

SITE_FIELDS = ("name", "location", "latitude", "longitude", "tags", "criticality")
POLICY_FIELDS = (
    "threshold_percent",
    "window_seconds",
    "min_sims",
    "settle_seconds",
    "auto_resolve",
    "flap_transitions",
    "flap_window_seconds",
)
MAX_BULK_SIMS = 1000


def _audit(operation: str, *, organization, context: Context, resource_id: str, body=None):
    record_audit(
        operation=operation,
        resource_type="site",
        resource_id=resource_id,
        organization=organization,
        context=context,
        request_body=body,
    )


def _check_site_fields(values: dict) -> None:
    criticality = values.get("criticality")
    if criticality is not None and criticality not in Criticality.values:
        raise InvalidInput(
            {"criticality": f"One of {', '.join(Criticality.values)}."},
            message="Invalid criticality.",
        )


@transaction.atomic
def create_site(*, organization, code: str, name: str, context: Context, **values) -> Site:
    """A new site of ``organization``; its code is unique within it."""
    code = str(code).strip()
    if not SITE_CODE.fullmatch(code):
        raise InvalidInput({"code": "Letters, digits, '.', '_' and '-', up to 64."})
    _check_site_fields(values)
    if Site.objects.filter(organization=organization, code=code).exists():
        raise Conflict(f"Site {code} exists.", details={"field": "code"})
    site = Site.objects.create(
        organization=organization,
        code=code,
        name=name,
        **{k: v for k, v in values.items() if k in SITE_FIELDS},
    )
    _audit("create_site", organization=organization, context=context, resource_id=code)
    return site


@transaction.atomic
def update_site(*, site: Site, changes: dict, context: Context) -> Site:
    _check_site_fields(changes)
    changed = sorted(k for k in SITE_FIELDS if k in changes and changes[k] != getattr(site, k))
    for field in changed:
        setattr(site, field, changes[field])
    if changed:
        site.save()
    _audit(
        "update_site",
        organization=site.organization,
        context=context,
        resource_id=site.code,
        body={"fields": changed},
    )
    return site


@transaction.atomic
def delete_site(*, site: Site, context: Context) -> None:
    """Delete a site without an open outage; its SIMs stay, at no site."""
    if SiteOutage.objects.filter(site=site).exclude(state=SiteOutageState.CLOSED).exists():
        raise Conflict("The site has an open outage.")
    Sim.objects.filter(site=site).update(site=None)
    _audit("delete_site", organization=site.organization, context=context, resource_id=site.code)
    site.delete()


def site_for(*, organization, code: str) -> Site:
    site = Site.objects.filter(organization=organization, code=code).first()
    if site is None:
        raise NotFound(f"No site {code}.", details={"field": "site"})
    return site


def recount(site_ids) -> None:
    """Set each site's SIM and offline counts from the rows (after SIMs move)."""
    ids = [pk for pk in set(site_ids) if pk is not None]
    counts = {
        row["pk"]: row
        for row in Site.objects.filter(pk__in=ids)
        .annotate(
            n=Count("sims", distinct=True),
            off=Count("sims", filter=Q(sims__presence__online=False), distinct=True),
        )
        .values("pk", "n", "off")
    }
    for pk, row in counts.items():
        Site.objects.filter(pk=pk).update(sim_count=row["n"], offline_count=row["off"])


@transaction.atomic
def assign_sims(*, site: Site | None, iccids: list[str], organization, context: Context) -> int:
    """Place the SIMs (of ``organization``; ICCIDs of others are unknown here) at ``site``
    (None: at no site). Answers how many moved; unknown ICCIDs refuse the whole call."""
    if len(iccids) > MAX_BULK_SIMS:
        raise InvalidInput({"iccids": f"At most {MAX_BULK_SIMS} a call."})
    wanted = {normalize_iccid(i) for i in iccids}
    sims = list(
        Sim.objects.select_for_update()
        .filter(organization=organization, iccid__in=wanted)
        .only("pk", "iccid", "site_id")
    )
    missing = wanted - {sim.iccid for sim in sims}
    if missing:
        raise NotFound(
            f"{len(missing)} ICCID(s) are not SIMs of this organization.",
            details={"iccids": sorted(missing)[:20]},
        )
    target = site.pk if site is not None else None
    moving = [sim for sim in sims if sim.site_id != target]
    touched = {sim.site_id for sim in moving} | {target}
    Sim.objects.filter(pk__in=[sim.pk for sim in moving]).update(site=target)
    recount(touched)
    _audit(
        "assign_sims",
        organization=organization,
        context=context,
        resource_id=site.code if site is not None else "",
        body={"iccids": sorted(wanted)[:100], "moved": len(moving)},
    )
    return len(moving)


@transaction.atomic
def apply_tag_rule(*, organization, context: Context) -> int:
    """Place every SIM tagged ``site:<CODE>`` at that site of its organization (SIMs whose tag
    names no site stay where they are). Answers how many moved."""
    sites = dict(Site.objects.filter(organization=organization).values_list("code", "pk"))
    moves: dict[int, list[int]] = {}
    tagged = Sim.objects.filter(organization=organization, tags__icontains=SITE_TAG_PREFIX)
    for pk, tags, current in tagged.values_list("pk", "tags", "site_id"):
        codes = [
            t[len(SITE_TAG_PREFIX) :]
            for t in tags or []
            if isinstance(t, str) and t.startswith(SITE_TAG_PREFIX)
        ]
        target = next((sites[c] for c in codes if c in sites), None)
        if target is not None and target != current:
            moves.setdefault(target, []).append(pk)
    touched = set(moves)
    for target, pks in moves.items():
        touched |= set(Sim.objects.filter(pk__in=pks).values_list("site_id", flat=True))
        Sim.objects.filter(pk__in=pks).update(site=target)
    recount(touched)
    moved = sum(len(pks) for pks in moves.values())
    _audit(
        "apply_site_tag_rule",
        organization=organization,
        context=context,
        resource_id="",
        body={"moved": moved},
    )
    return moved


def policy_for(organization) -> DetectionPolicy:
    """The organization's detection policy (the defaults, unsaved, when it set none)."""
    policy = DetectionPolicy.objects.filter(organization=organization).first()
    return policy or DetectionPolicy(organization=organization)


@transaction.atomic
def update_policy(*, organization, changes: dict, context: Context) -> DetectionPolicy:
    """Tune the organization's detection (admins only, from the API and the console alike)."""
    if not context.acts_as_admin:
        raise PermissionDenied("Only an organization admin may change the detection policy.")
    policy = policy_for(organization)
    for field in POLICY_FIELDS:
        if field in changes:
            setattr(policy, field, changes[field])
    try:
        policy.full_clean(exclude=["organization"])
    except ValidationError as exc:
        raise InvalidInput(exc.message_dict, message="Invalid detection policy.") from None
    policy.save()
    record_audit(
        operation="update_detection_policy",
        resource_type="detection_policy",
        resource_id=str(organization.pk),
        organization=organization,
        context=context,
        request_body={k: changes[k] for k in POLICY_FIELDS if k in changes},
    )
    return policy


def presence_of(sim_ids) -> dict[int, SimPresence]:
    return {p.sim_id: p for p in SimPresence.objects.filter(sim_id__in=list(sim_ids))}
