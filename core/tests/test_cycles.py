"""A request's objects are freed when it is answered, not left to the cyclic collector.

Each read is served as a WSGI server serves it (Django's handler, the whole middleware
stack, the response closed), with the collector off; a collection afterwards must find
nothing of it: a cycle holding the request would hold its whole graph, its rows included
(``core.cycles``). The same paths without ``ReleaseRequestMiddleware`` leave the request in
cycles, so the check does not pass by itself.
"""

import gc
from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.test.client import ClientHandler
from django.utils import timezone
from rest_framework.views import APIView

from accounts.models import Role
from accounts.services import issue_api_key
from alerts.tests.factories import AlertFactory
from outages.tests.factories import OutageFactory
from payments.tests.factories import PaymentFactory
from provisioning.tests.factories import SubscriberFactory
from sims.tests.factories import SimFactory
from sms.models import SmsMessage
from usage.tests.factories import UsageRecordFactory

RELEASE = "core.middleware.ReleaseRequestMiddleware"


@pytest.fixture
def paths(organization, make_user):
    """Every read family's list and detail, with rows to read, and an API key for them."""
    sims = SimFactory.create_batch(3, organization=organization)
    now = timezone.now()
    message = SmsMessage.objects.create(
        organization=organization,
        sim=sims[0],
        direction="MT",
        status="delivered",
        message="hello",
        created_at=now,
    )
    UsageRecordFactory(sim=sims[0], date=now.date() - timedelta(days=1))
    outage = OutageFactory(organization=organization)
    PaymentFactory.create_batch(2, organization=organization)
    AlertFactory.create_batch(2, organization=organization)
    SubscriberFactory.create_batch(2, organization=organization)
    _, key = issue_api_key(user=make_user(role=Role.ADMIN), name="cycles")
    iccid = sims[0].iccid
    return key, [
        "/api/v1/sims",
        f"/api/v1/sims/{iccid}",
        f"/api/v1/sims/{iccid}/sms",
        f"/api/v1/sims/{iccid}/sms/{message.sms_id}",
        f"/api/v1/sims/{iccid}/usage",  # SMALL_CYCLES
        "/api/v1/outages",
        f"/api/v1/outages/{outage.public_id}",  # SMALL_CYCLES
        "/api/v1/payments/history",
        "/api/v1/alerts",
        "/api/v1/subscribers",
        "/api/v1/sims/89882280000000000000",  # 400 INVALID_ICCID in the envelope
        "/api/v1/sims?status=nonsense",  # 422 in the envelope; REFUSED
        "/health/live",
    ]


def served(handler, path: str, key: str) -> int:
    """Serve ``path`` as a WSGI server would (the response closed, then dropped); its status."""
    environ = RequestFactory().get(path, HTTP_X_API_KEY=key).environ
    response = handler(environ)  # closes the response, as a server does after sending it
    status = response.status_code
    assert response.content
    return status


def left_in_cycles(handler, path: str, key: str) -> tuple[int, list]:
    """``path``'s status and the objects its request left in reference cycles."""
    served(handler, path, key)  # plans compiled, caches filled: what stays is not garbage
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        status = served(handler, path, key)
        gc.collect()
        return status, list(gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()


# Reads that still leave a small cycle of their own, not the request's: a query string's
# validating serializer and its fields (usage), Django's prefetch caches (an outage's timeline).
SMALL_CYCLES = ("/usage", "/outages/OUT")
# A refusal's exception holds its traceback, whose frames hold the request, until collected.
REFUSED = "?status=nonsense"


def test_no_read_leaves_its_request_in_a_reference_cycle(paths):
    key, reads = paths
    handler = ClientHandler()
    statuses = []
    for path in reads:
        status, garbage = left_in_cycles(handler, path, key)
        statuses.append(status)
        if path.endswith(REFUSED):
            continue
        kinds = {type(item).__name__ for item in garbage}
        assert not kinds & {"WSGIRequest", "Request", "Response", "ReturnList", "ReturnDict"}, path
        assert not any(isinstance(item, APIView) for item in garbage), path
        if not any(part in path for part in SMALL_CYCLES):
            assert garbage == [], f"{path} left {len(garbage)} objects in reference cycles"
    assert statuses == [200] * 10 + [400, 422, 200], statuses


def test_without_the_release_the_same_reads_leave_cycles(paths, settings):
    key, reads = paths
    settings.MIDDLEWARE = [name for name in settings.MIDDLEWARE if name != RELEASE]
    handler = ClientHandler()
    for path in reads[:2]:
        garbage = left_in_cycles(handler, path, key)[1]
        assert "WSGIRequest" in {type(item).__name__ for item in garbage}, path
