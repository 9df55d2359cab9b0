"""Reading and mirroring quotas: packages, thresholds, ``refresh_quotas``."""

import structlog
from django.conf import settings
from django.db import transaction
from django.db.models import Case, Count, F, Min, Value, When
from django.utils import timezone

from core.errors import InvalidInput
from quotas.models import Quota, QuotaStatus, QuotaType
from sims import cache as sims_cache
from sims.models import Sim
from sims.selectors import connected_sims
from sims.services import onence_client_for
from sims.services.refresh import FleetRefreshReport, refresh_fleet

logger = structlog.get_logger(__name__)

_STATUSES = {
    "ACTIVE": QuotaStatus.ACTIVE,
    "EXHAUSTED": QuotaStatus.EXHAUSTED,
    "EXPIRED": QuotaStatus.EXPIRED,
}


def package_size(quota_type: str) -> int:
    """What one 1NCE top-up package adds of ``quota_type`` (bytes of data or SMS)."""
    if quota_type == QuotaType.DATA:
        return settings.TOPUP_DATA_PACKAGE_BYTES
    return settings.TOPUP_SMS_PACKAGE


def allowed_volumes(quota_type: str) -> list[int]:
    size = package_size(quota_type)
    return [size * n for n in range(1, settings.TOPUP_MAX_PACKAGES + 1)]


def packages_for(*, quota_type: str, volume: int, field: str = "volume") -> int:
    """How many packages ``volume`` is; a 422 naming the allowed sizes when it is not whole.

    1NCE sells one fixed package that adds data and SMS together, so a volume that is not a
    whole number of packages cannot be bought.
    """
    size = package_size(quota_type)
    unit = "bytes" if quota_type == QuotaType.DATA else "SMS"
    allowed = allowed_volumes(quota_type)
    if volume <= 0 or volume % size or volume // size > settings.TOPUP_MAX_PACKAGES:
        shown = ", ".join(str(v) for v in allowed[:3])
        raise InvalidInput(
            {
                field: [
                    f"A {quota_type} top-up must be a whole number of {size}-{unit} packages "
                    f"(1 to {settings.TOPUP_MAX_PACKAGES}): {shown}, ... up to {allowed[-1]}."
                ]
            },
            kind="package_size",
        )
    return volume // size


def refresh_quotas(*, sim: Sim) -> dict[str, Quota]:
    """Read both quotas of ``sim`` from 1NCE into our mirror (and the SIM's summary fields).

    Raises ``UpstreamError`` when 1NCE cannot be read; the mirror is then left as it was.
    """
    client = onence_client_for(organization=sim.organization)
    data = client.get_data_quota(sim.iccid)
    sms = client.get_sms_quota(sim.iccid)
    now = timezone.now()
    readings = {
        QuotaType.DATA: (
            data.total_bytes,
            data.remaining_bytes,
            data.last_added_bytes,
            data.accumulated_total_bytes,
            data,
        ),
        QuotaType.SMS: (sms.total, sms.remaining, sms.last_added, sms.accumulated_total, sms),
    }
    quotas = {}
    with transaction.atomic():
        for quota_type, (total, remaining, last_added, accumulated, raw) in readings.items():
            quota, _ = Quota.objects.select_for_update().get_or_create(
                sim=sim, quota_type=quota_type
            )
            if quota.volume != total or quota.last_volume_added != last_added:
                quota.last_status_change_date = raw.created_at or now
            quota.volume = total
            quota.remaining = remaining
            quota.last_volume_added = last_added
            quota.accumulated_volume = accumulated
            quota.status = _STATUSES.get(raw.status.upper(), QuotaStatus.UNKNOWN)
            if not raw.status:
                quota.status = QuotaStatus.ACTIVE if remaining > 0 else QuotaStatus.EXHAUSTED
            quota.upstream_threshold_percentage = raw.threshold_percentage
            quota.expiry_date = raw.expiry_date
            quota.refreshed_at = now
            quota.save()
            quotas[quota_type] = quota
        Sim.objects.filter(pk=sim.pk).update(
            data_quota_remaining_bytes=data.remaining_bytes,
            data_quota_total_bytes=data.total_bytes,
            sms_quota_remaining=sms.remaining,
            sms_quota_total=sms.total,
        )
    sim.data_quota_remaining_bytes, sim.data_quota_total_bytes = (
        data.remaining_bytes,
        data.total_bytes,
    )
    sim.sms_quota_remaining, sim.sms_quota_total = sms.remaining, sms.total
    sims_cache.invalidate(sim.organization_id)
    return quotas


def refresh_fleet_quotas(*, limit: int | None = None) -> FleetRefreshReport:
    """Read the quotas of up to ``limit`` (``QUOTA_REFRESH_MAX_SIMS``) SIMs of connected
    organizations from 1NCE, those read longest ago (or never) first, so the mirror, the
    console and the threshold checks see every SIM's quota without anyone asking the API."""
    sims = (
        connected_sims(Sim.objects.filter(missing_upstream_since__isnull=True))
        .select_related("organization")
        .annotate(quotas_read_at=Min("quotas__refreshed_at"), quota_rows=Count("quotas"))
        .order_by(
            # A SIM missing one of its two quotas counts as never read.
            Case(When(quota_rows__lt=2, then=Value(0)), default=Value(1)),
            F("quotas_read_at").asc(nulls_first=True),
            "id",
        )
    )
    return refresh_fleet(
        kind="quotas",
        sims=sims[: limit or settings.QUOTA_REFRESH_MAX_SIMS],
        refresh=lambda sim: refresh_quotas(sim=sim),
        budget_seconds=settings.FLEET_REFRESH_TIME_BUDGET_SECONDS,
    )
