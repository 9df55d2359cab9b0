"""Celery tasks for provisioning: thin, they call services.

A queued request is followed by ``poll_request``: one poll, then (not yet terminal) the same
task again, ``PMNL_POLL_INTERVAL_SECONDS`` after the previous one and half as long again each
time (at most ``MAX_POLL_DELAY_SECONDS``): quick requests end quickly, slow ones cost few
polls. ``poll_pending_requests`` (every minute) polls whatever is still open, so a request
whose task was lost still ends.
"""

import structlog
from celery import shared_task
from django.conf import settings

from core.taskbase import FleetTask
from provisioning import services
from upstream.exceptions import UpstreamError

logger = structlog.get_logger(__name__)


MAX_POLL_DELAY_SECONDS = 10.0


def poll_delay(polls: int) -> float:
    """Seconds before poll number ``polls + 1`` of a request."""
    return min(settings.PMNL_POLL_INTERVAL_SECONDS * 1.5**polls, MAX_POLL_DELAY_SECONDS)


class PollTask(FleetTask):
    def schedule(self, request_id: str, *, polls: int = 0) -> None:
        """Poll the request later (not under eager execution, where a countdown would poll in
        a tight loop: there the minute job, or a test, polls)."""
        if self.app.conf.task_always_eager:
            return
        self.apply_async((request_id,), countdown=poll_delay(polls))


@shared_task(base=PollTask, bind=True, name="provisioning.tasks.poll_request")
def poll_request(self, request_id: str) -> str:
    request = services.poll_request(request_id=request_id)
    if not request.terminal:
        self.schedule(request_id, polls=request.polls)
    return request.status


@shared_task(base=FleetTask, name="provisioning.tasks.poll_pending_requests", max_retries=0)
def poll_pending_requests() -> dict:
    """Poll every open queued request once (the next run, a minute away, is its retry)."""
    counts = {"polled": 0, "finished": 0, "errors": 0}
    for request_id in services.pending_request_ids():
        try:
            request = services.poll_request(request_id=request_id)
        except UpstreamError as exc:
            counts["errors"] += 1
            logger.warning("pmnl_poll_failed", request_id=str(request_id), error=type(exc).__name__)
            continue
        counts["polled"] += 1
        counts["finished"] += int(request.terminal)
    return counts


@shared_task(base=FleetTask, name="provisioning.tasks.seed_demo_subscribers")
def seed_demo_subscribers(organization_slug: str, count: int, cust_id: str) -> int:
    """``seed_demo``'s subscribers, created through PMNL once the web server (which serves the
    simulator) is up."""
    from accounts.models import Organization
    from core.context import Context

    organization = Organization.objects.get(slug=organization_slug)
    return services.seed_demo_subscribers(
        organization=organization, count=count, cust_id=cust_id, context=Context.system(via="task")
    )
