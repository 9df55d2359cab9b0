"""Quota business rules: mirrored quotas, top-ups (single, bulk, automatic) and their checks."""

from quotas.services.auto import check_quotas, configure_auto_topup
from quotas.services.bulk import BULK_TOPUP_KIND, run_bulk_topup, start_bulk_topup
from quotas.services.quota import (
    allowed_volumes,
    package_size,
    packages_for,
    refresh_fleet_quotas,
    refresh_quotas,
)
from quotas.services.reconcile import SettleResult, settle_topups
from quotas.services.topups import settles_by, status_url, top_up_sim

__all__ = [
    "BULK_TOPUP_KIND",
    "SettleResult",
    "allowed_volumes",
    "check_quotas",
    "configure_auto_topup",
    "package_size",
    "packages_for",
    "refresh_fleet_quotas",
    "refresh_quotas",
    "run_bulk_topup",
    "settle_topups",
    "settles_by",
    "start_bulk_topup",
    "status_url",
    "top_up_sim",
]
