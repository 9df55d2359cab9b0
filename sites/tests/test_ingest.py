"""The Data Streamer ingest endpoint: format, authentication per 1NCE account, idempotency,
whole-batch refusal, tenancy; and the correlation's rules on small sites."""

import base64
import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.tests.factories import OrganizationFactory
from outages.models import Outage
from sims.models import SimEvent
from sites import datastreamer, services
from sites.models import SimPresence, Site, StreamEvent

pytestmark = pytest.mark.django_db

URL = reverse("sites-api:data-streamer-events")
SAMPLE = Path(settings.BASE_DIR) / "simulators/onence/contract/data-streamer-events.sample.json"


def record(event_id: int, iccid: str, at, *, lost: bool) -> dict:
    event_type = (
        {"id": 4, "description": "Delete PDP Context"}
        if lost
        else {"id": 3, "description": "Create PDP Context"}
    )
    return {
        "id": event_id,
        "timestamp": at.isoformat().replace("+00:00", "Z"),
        "event_type": event_type,
        "event_severity": {"id": 0, "description": "INFO"},
        "event_source": {"id": 0, "description": "Network"},
        "organisation": {"id": 1, "name": "81000000"},
        "alert": lost,
        "description": event_type["description"],
        "sim": {"id": 1, "iccid": iccid, "msisdn": "882285000000001"},
    }


def streamer_client(stream_and_password) -> APIClient:
    stream, password = stream_and_password
    client = APIClient()
    token = base64.b64encode(f"{stream.username}:{password}".encode()).decode()
    client.credentials(HTTP_AUTHORIZATION=f"Basic {token}")
    return client


def post(client, batch):
    return client.post(URL, data=json.dumps(batch), content_type="application/json")


def test_the_documented_sample_reads_as_three_events_with_their_transitions():
    events, errors = datastreamer.parse_batch(json.loads(SAMPLE.read_text()))
    assert errors == []
    assert [e.transition for e in events] == ["restored", "restored", "lost"]
    assert events[0].iccid == "8988228066605682328"


def test_the_simulator_streams_records_with_the_documented_fields(onence_simulator):
    from simulators.onence.models import OnenceEvent
    from simulators.onence.streamer import record as simulator_record

    iccid = onence_simulator.seed_fleet(sims=1, days=1)[0]
    onence_simulator.script_site_loss(iccids=[iccid], lose_at=timezone.now())
    streamed = simulator_record(OnenceEvent.objects.filter(sim__iccid=iccid).first())
    documented = json.loads(SAMPLE.read_text())[0]
    assert set(documented) - {"user"} <= set(streamed)
    assert set(documented["event_type"]) == set(streamed["event_type"])
    assert datastreamer.parse_batch([streamed])[1] == []


def test_without_or_with_wrong_credentials_the_endpoint_answers_401(stream):
    assert APIClient().post(URL, data=[], format="json").status_code == 401
    wrong = streamer_client((stream[0], "not-the-password"))
    assert post(wrong, []).status_code == 401


def test_a_user_of_the_organization_cannot_post_events(operator_client):
    assert post(operator_client, []).status_code in (401, 403)


def test_a_batch_with_one_bad_record_is_refused_whole(organization, stream, make_site):
    site = make_site(organization, sims=2)
    iccids = list(site.sims.values_list("iccid", flat=True))
    now = timezone.now()
    good = record(1, iccids[0], now, lost=True)
    bad = {**record(2, iccids[1], now, lost=True), "timestamp": "yesterday"}
    response = post(streamer_client(stream), [good, bad])
    assert response.status_code == 400
    errors = response.json()["error"]["details"]["errors"]
    assert errors[0]["loc"] == ["body", 1, "timestamp"]
    assert not StreamEvent.objects.exists()
    assert not SimPresence.objects.exists()
    assert not SimEvent.objects.exists()
    assert post(streamer_client(stream), {"id": 1}).status_code == 400


def test_a_redelivered_event_is_taken_once(organization, stream, make_site):
    site = make_site(organization, sims=1)
    iccid = site.sims.get().iccid
    batch = [record(7, iccid, timezone.now() - timedelta(minutes=1), lost=True)]
    client = streamer_client(stream)
    first = post(client, batch).json()["data"]
    again = post(client, batch).json()["data"]
    assert (first["stored"], first["transitions"]) == (1, 1)
    assert (again["stored"], again["duplicates"], again["transitions"]) == (0, 1, 0)
    assert SimEvent.objects.filter(sim__iccid=iccid).count() == 1
    site.refresh_from_db()
    assert site.offline_count == 1


def test_another_organizations_stream_never_touches_our_sims(
    organization, stream, make_site, system
):
    site = make_site(organization, sims=4)
    iccids = list(site.sims.values_list("iccid", flat=True))
    other = OrganizationFactory()
    foreign = services.create_stream(organization=other, context=system)
    now = timezone.now() - timedelta(minutes=1)
    batch = [record(100 + i, iccid, now, lost=True) for i, iccid in enumerate(iccids)]
    answer = post(streamer_client(foreign), batch).json()["data"]
    assert (answer["stored"], answer["unknown_sims"], answer["transitions"]) == (4, 4, 0)
    site.refresh_from_db()
    assert site.offline_count == 0
    assert not SimPresence.objects.exists()
    assert not StreamEvent.objects.filter(organization=organization).exists()
    # The same event ids are still ours to receive (ids are unique per organization).
    ours = post(streamer_client(stream), batch).json()["data"]
    assert (ours["stored"], ours["transitions"]) == (4, 4)
    assert Outage.objects.filter(organization=organization).count() == 1
    assert not Outage.objects.filter(organization=other).exists()


def test_one_lost_sim_of_a_small_site_never_opens_an_outage(organization, stream, make_site):
    site = make_site(organization, sims=1)
    iccid = site.sims.get().iccid
    post(streamer_client(stream), [record(1, iccid, timezone.now(), lost=True)])
    site.refresh_from_db()
    assert (site.online_count, site.offline_count) == (0, 1)
    assert not Outage.objects.exists()
    assert SimEvent.objects.filter(sim__iccid=iccid, event_type="connectivity_lost").exists()


def test_flapping_sims_are_no_evidence(organization, stream, make_site):
    site = make_site(organization, sims=4)
    iccids = list(site.sims.values_list("iccid", flat=True))
    start = timezone.now() - timedelta(minutes=10)
    batch, event_id = [], 0
    # Three SIMs flap one at a time (down, up, down, up: never two down together)...
    for index, iccid in enumerate(iccids[:3]):
        for step in range(4):
            event_id += 1
            at = start + timedelta(seconds=10 * (4 * index + step))
            batch.append(record(event_id, iccid, at, lost=step % 2 == 0))
    # ...then all three drop together: without damping, 3 of 4 lost within the window.
    for iccid in iccids[:3]:
        event_id += 1
        batch.append(record(event_id, iccid, start + timedelta(minutes=3), lost=True))
    post(streamer_client(stream), batch)
    site.refresh_from_db()
    assert site.offline_count == 3
    assert not Outage.objects.exists()


def test_the_policy_can_require_more_sims(organization, stream, make_site, system):
    services.update_policy(organization=organization, changes={"min_sims": 5}, context=system)
    site = make_site(organization, sims=4)
    now = timezone.now() - timedelta(minutes=2)
    batch = [
        record(i + 1, iccid, now, lost=True)
        for i, iccid in enumerate(site.sims.values_list("iccid", flat=True))
    ]
    post(streamer_client(stream), batch)
    assert not Outage.objects.exists()
    assert Site.objects.get(pk=site.pk).offline_count == 4
