"""Celery tasks for payments: thin, they call services."""

from celery import shared_task
from django.db import OperationalError

from core.context import Context
from core.errors import UpstreamWriteFailed
from core.taskbase import FleetTask
from payments import services
from upstream.exceptions import UpstreamError


@shared_task(base=FleetTask, name="payments.tasks.follow_payments", max_retries=0)
def follow_payments() -> dict:
    """Settle submitted payments and attestations from the ledger (every minute; the next run
    is the retry)."""
    return services.follow_payments()


@shared_task(
    base=FleetTask,
    name="payments.tasks.settle_demo_outage",
    # Horizon not up yet; SQLite (make run) busy with the first syncs: settling again is safe.
    autoretry_for=(UpstreamWriteFailed, UpstreamError, OperationalError),
    retry_backoff=5,
    max_retries=10,
)
def settle_demo_outage(organization_slug: str) -> str:
    """``seed_demo``'s settled outage, once the web server (which serves the Horizon simulator)
    is up; retried while Horizon does not answer. Returns the outage's id ("" when none owes a
    payout)."""
    from accounts.models import Organization

    organization = Organization.objects.get(slug=organization_slug)
    outage = services.settle_demo_outage(
        organization=organization, context=Context.system(via="task")
    )
    return outage.public_id if outage is not None else ""
