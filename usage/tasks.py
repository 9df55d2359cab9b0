from celery import shared_task

from accounts.models import Organization
from core.taskbase import FleetTask
from usage.services import sync_usage as sync_usage_service


# Retrying is safe: the sync only upserts and re-reads what it needs. It retries when 1NCE
# was down for the whole run (the service stops early and re-raises); per-SIM failures are
# retried inside the run.
@shared_task(base=FleetTask, name="usage.tasks.sync_usage", retry_backoff=60, max_retries=3)
def sync_usage(organization_id: int | None = None) -> dict:
    """Hourly: sync the usage of every active SIM (of one organization, or all)."""
    organization = Organization.objects.get(pk=organization_id) if organization_id else None
    return sync_usage_service(organization=organization).as_dict()
