"""Celery tasks for sites: thin, they call services."""

from celery import shared_task

from core.context import Context
from core.taskbase import TRANSIENT_ERRORS, FleetTask
from sites.demo import FleetNotMirrored
from sites.demo import place_demo_sims as place_demo_sims_now
from sites.services import housekeeping


@shared_task(base=FleetTask, name="sites.tasks.settle_site_outages", max_retries=0)
def settle_site_outages() -> dict:
    """Every minute: resolve (or propose resolving) site outages whose SIMs have stayed back
    for the settle time, when no streamed event came to do it."""
    return housekeeping.settle_all()


@shared_task(base=FleetTask, name="sites.tasks.reconcile_site_presence", max_retries=0)
def reconcile_site_presence() -> dict:
    """Apply the periodic connectivity refresh's readings the Data Streamer did not report."""
    return housekeeping.reconcile_all()


@shared_task(
    base=FleetTask,
    name="sites.tasks.place_demo_sims",
    autoretry_for=(FleetNotMirrored, *TRANSIENT_ERRORS),
    retry_backoff=15,
    retry_backoff_max=60,
    max_retries=30,
)
def place_demo_sims(organization_slug: str) -> int:
    """``seed_sites_demo``'s placement, once the worker's first sync has mirrored the fleet
    (retried until it has): the SIMs placed nowhere are spread over the demo sites."""
    from accounts.models import Organization

    organization = Organization.objects.get(slug=organization_slug)
    return place_demo_sims_now(organization=organization, context=Context.system(via="task"))
