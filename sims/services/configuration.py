"""SIM configuration: label, IMEI lock and status at 1NCE first; tags and metadata ours."""

from django.db import transaction

from accounts.audit import record_audit
from accounts.models import AuditStatus
from core.context import Context
from core.errors import DomainError
from core.identifiers import normalize_iccid
from sims import cache as sim_cache
from sims.events import record_event
from sims.models import EventType, Sim
from sims.services.clients import onence_client_for
from sims.services.sync import SyncResult, upsert_page
from upstream.exceptions import UpstreamError, UpstreamNotFound

# Fields 1NCE owns (written upstream first) and fields only FleetOps keeps.
UPSTREAM_FIELDS = ("label", "imei_lock", "status")
LOCAL_FIELDS = ("tags", "metadata")


def _snapshot(sim, fields) -> dict:
    return {name: getattr(sim, name) for name in fields}


def update_sim(*, sim, changes: dict, context: Context):
    """Change a SIM: label, IMEI lock and status go to 1NCE first; tags and metadata are ours.

    On an upstream failure the typed exception propagates and nothing here changes. On
    success the mirror, an audit entry (before/after) and a ``configuration_changed`` event
    are written in one transaction, and the organization's read caches are dropped. Should
    that transaction fail after 1NCE applied its part, a ``failed`` audit entry still records
    what 1NCE now has. Validate ``changes`` first (``SimChangeSerializer``): nothing here may
    be refused once 1NCE has been called.
    """
    fields = [f for f in (*UPSTREAM_FIELDS, *LOCAL_FIELDS) if f in changes]
    before = _snapshot(sim, fields)
    upstream = {f: changes[f] for f in UPSTREAM_FIELDS if f in changes and changes[f] != before[f]}
    if upstream:
        onence_client_for(organization=sim.organization).update_sim(sim.iccid, **upstream)
    changed = {f: changes[f] for f in fields if changes[f] != before[f]}
    if not changed:
        return sim
    diff = {"before": {f: before[f] for f in changed}, "after": changed}
    try:
        with transaction.atomic():
            for name, value in changed.items():
                setattr(sim, name, value)
            sim.save(update_fields=[*changed, "updated_at"])
            record_audit(
                operation="UPDATE",
                resource_type="sim",
                resource_id=sim.iccid,
                organization=sim.organization,
                context=context,
                request_body=diff,
                response_status=200,
            )
            record_event(
                sim=sim,
                event_type=EventType.CONFIGURATION_CHANGED,
                description="Changed " + ", ".join(sorted(changed)),
                details=diff,
            )
            transaction.on_commit(lambda: sim_cache.invalidate(sim.organization_id))
    except Exception:
        if upstream:
            # 1NCE has the change and our write is gone: the trail must still show it.
            record_audit(
                operation="UPDATE",
                resource_type="sim",
                resource_id=sim.iccid,
                organization=sim.organization,
                context=context,
                request_body={"before": {f: before[f] for f in upstream}, "after": upstream},
                status=AuditStatus.FAILED,
                response_status=500,
                error_message="Applied at 1NCE; storing the change here failed.",
            )
        raise
    return sim


def configure_sims(*, organization, items: list[dict], context: Context) -> dict:
    """Configure many SIMs: each item is ``{"iccid", ...changes}``. A SIM not yet mirrored is
    fetched from 1NCE and ``created``; a known one is ``updated``; anything that fails is
    reported with its reason and the others go on."""
    client = onence_client_for(organization=organization)
    results, created, failed = [], 0, 0
    for item in items:
        raw = str(item.get("iccid", ""))
        try:
            iccid = normalize_iccid(raw)
            sim = Sim.objects.filter(iccid=iccid).select_related("organization").first()
            outcome = "updated"
            if sim is not None and sim.organization_id != organization.pk:
                raise LookupError("SIM not found")
            if sim is None:
                upstream = client.get_sim(iccid)
                upsert_page(
                    organization=organization,
                    sims=[upstream],
                    result=SyncResult(organization=organization.slug),
                )
                sim = Sim.objects.select_related("organization").get(iccid=iccid)
                outcome = "created"
            changes = {k: v for k, v in item.items() if k != "iccid"}
            update_sim(sim=sim, changes=changes, context=context)
        except (LookupError, DomainError, UpstreamError) as exc:
            failed += 1
            results.append({"iccid": raw, "status": "failed", "reason": _reason(exc)})
            continue
        created += outcome == "created"
        results.append({"iccid": iccid, "status": outcome})
    return {
        "created": created,
        "updated": len(items) - created - failed,
        "failed": failed,
        "sims": results,
    }


def _reason(exc: Exception) -> str:
    if isinstance(exc, UpstreamNotFound | LookupError):
        return "SIM not found"
    if isinstance(exc, DomainError):
        return str(exc)
    if isinstance(exc, UpstreamError):
        return exc.public_message
    return "Could not be configured"
