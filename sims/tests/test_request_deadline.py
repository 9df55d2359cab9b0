"""A hanging 1NCE cannot hold an API request past its deadline (``REQUEST_DEADLINE_SECONDS``)."""

import time

import pytest
from django.core.cache import cache

from sims.models import Sim
from sims.services.sync import sync_organization

pytestmark = pytest.mark.django_db(transaction=True)

DEADLINE = 1.5
# Each 1NCE call alone may wait longer than the whole request may: only the deadline ends it.
READ_TIMEOUT = 4.0
HANG = 4.5
SLACK = 0.7  # our own work around the upstream calls (database, rendering, test client)


@pytest.fixture
def fleet(onence_simulator, organization, settings):
    iccids = onence_simulator.seed_fleet(sims=2, days=1)
    sync_organization(organization=organization)
    settings.REQUEST_DEADLINE_SECONDS = DEADLINE
    settings.UPSTREAM_READ_TIMEOUT = READ_TIMEOUT
    settings.UPSTREAM_MAX_RETRIES = 3
    return iccids


def hung_requests(simulator, path: str, *, since: float) -> list[dict]:
    """The requests the simulator held, once it has let them all go (none outlives the test:
    the simulator logs a request when it answers)."""
    time.sleep(max(0.0, since + HANG + 0.5 - time.monotonic()))
    return [r for r in simulator.requests_received(path_contains=path) if r["fault"]]


def timed(call):
    started = time.monotonic()
    response = call()
    return response, started, time.monotonic() - started


def test_hanging_1nce_read_answers_the_stale_snapshot_within_the_deadline(
    fleet, operator_client, onence_simulator
):
    url = f"/api/v1/sims/{fleet[0]}/connectivity"
    onence_simulator.set_connectivity(fleet[0], "ONLINE")
    assert operator_client.get(url).json()["data"]["stale"] is False
    cache.clear()  # past the connectivity cache (the token goes too: fetched again, unhurt)
    onence_simulator.set_faults(hang_seconds=HANG, paths="/status")

    response, started, elapsed = timed(lambda: operator_client.get(url))

    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert data["stale"] is True and data["connected"] is True
    assert elapsed < DEADLINE + SLACK, elapsed
    # One attempt, cut short: no retry was started once the deadline had passed.
    assert len(hung_requests(onence_simulator, "/status", since=started)) == 1


def test_hanging_1nce_write_answers_504_within_the_deadline(
    fleet, operator_client, onence_simulator
):
    before = Sim.objects.get(iccid=fleet[0]).label
    onence_simulator.set_faults(hang_seconds=HANG, paths=f"/v2/sims/{fleet[0]}")

    response, started, elapsed = timed(
        lambda: operator_client.patch(f"/api/v1/sims/{fleet[0]}", {"label": "Late"}, format="json")
    )

    assert response.status_code == 504, response.content
    assert response.json()["error"]["code"] == "GATEWAY_TIMEOUT"
    assert elapsed < DEADLINE + SLACK, elapsed
    assert Sim.objects.get(iccid=fleet[0]).label == before
    assert len(hung_requests(onence_simulator, f"/v2/sims/{fleet[0]}", since=started)) == 1


def test_without_a_request_deadline_the_call_keeps_its_own_timeout(
    fleet, operator_client, onence_simulator, settings
):
    """Celery tasks and commands open no deadline: a call there waits its full read timeout."""
    from sims.services.clients import onence_client_for
    from upstream.exceptions import UpstreamTimeout

    settings.UPSTREAM_READ_TIMEOUT = 1.0
    settings.UPSTREAM_MAX_RETRIES = 0
    onence_simulator.set_faults(hang_seconds=1.5, paths="/status")
    client = onence_client_for(organization=Sim.objects.get(iccid=fleet[0]).organization)
    started = time.monotonic()
    with pytest.raises(UpstreamTimeout):
        client.get_sim_status(fleet[0])
    assert time.monotonic() - started >= 1.0
    hung_requests(onence_simulator, "/status", since=started)
