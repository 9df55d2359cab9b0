"""The sites API: tenancy, placing SIMs (one, bulk, tag rule), history, policy, credentials;
and the outage rules for timestamps taken from evidence."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Role
from accounts.tests.factories import OrganizationFactory
from core.errors import InvalidInput
from outages import services as outage_services
from outages.models import Outage, TimelineEntry, TimelineKind
from sims.tests.factories import SimFactory
from sites import services
from sites.models import DataStream, SiteOutage, SiteOutageState
from sites.services.correlation import Observation, correlate
from sites.tests.factories import SiteFactory

pytestmark = pytest.mark.django_db


def test_sites_of_another_organization_are_neither_listed_nor_found(operator_client, organization):
    SiteFactory(organization=organization, code="OURS")
    SiteFactory(organization=OrganizationFactory(), code="THEIRS")
    listed = operator_client.get("/api/v1/sites").json()["data"]
    assert [row["id"] for row in listed] == ["OURS"]
    assert operator_client.get("/api/v1/sites/THEIRS").status_code == 404
    assert operator_client.post("/api/v1/sites/THEIRS/sims", {"iccids": []}).status_code in (
        400,
        404,
    )


def test_create_change_and_delete_a_site(operator_client, organization):
    created = operator_client.post(
        "/api/v1/sites",
        {"id": "SITE123", "name": "Tower", "criticality": "high", "tags": ["north"]},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["data"]["criticality"] == "high"
    again = operator_client.post("/api/v1/sites", {"id": "SITE123", "name": "x"}, format="json")
    assert again.status_code == 409
    changed = operator_client.patch("/api/v1/sites/SITE123", {"location": "Hill 3"}, format="json")
    assert changed.json()["data"]["location"] == "Hill 3"
    assert operator_client.delete("/api/v1/sites/SITE123").status_code == 204


def test_a_viewer_cannot_create_a_site(viewer_client):
    response = viewer_client.post("/api/v1/sites", {"id": "S1", "name": "x"}, format="json")
    assert response.status_code == 403


def test_place_sims_in_bulk_and_by_tag(operator_client, organization):
    site = SiteFactory(organization=organization, code="SITE9")
    sims = [SimFactory(organization=organization) for _ in range(3)]
    foreign = SimFactory(organization=OrganizationFactory())
    refused = operator_client.post(
        "/api/v1/sites/SITE9/sims", {"iccids": [sims[0].iccid, foreign.iccid]}, format="json"
    )
    assert refused.status_code == 404  # another organization's SIM is unknown here
    assert not site.sims.exists()
    moved = operator_client.post(
        "/api/v1/sites/SITE9/sims", {"iccids": [s.iccid for s in sims[:2]]}, format="json"
    )
    assert moved.json()["data"] == {"moved": 2}
    sims[2].tags = ["site:SITE9", "x"]
    sims[2].save()
    foreign.tags = ["site:SITE9"]
    foreign.save()
    assert operator_client.post("/api/v1/sites/apply-tag-rule").json()["data"] == {"moved": 1}
    site.refresh_from_db()
    assert site.sim_count == 3
    assert set(site.sims.values_list("pk", flat=True)) == {s.pk for s in sims}
    removed = operator_client.post(
        "/api/v1/sites/SITE9/sims/remove", {"iccids": [sims[0].iccid]}, format="json"
    )
    assert removed.json()["data"] == {"moved": 1}
    detail = operator_client.get("/api/v1/sites/SITE9").json()["data"]
    assert (detail["sims"], detail["online"], detail["offline"]) == (2, 2, 0)


def test_history_and_outages_of_a_site(operator_client, organization, make_site):
    site = make_site(organization, sims=4, code="HIST")
    sims = list(site.sims.order_by("pk"))
    at = timezone.now() - timedelta(minutes=30)
    correlate(
        organization=organization,
        observations=[
            Observation(sim_id=s.pk, online=False, at=at + timedelta(seconds=i), event_id=i + 1)
            for i, s in enumerate(sims[:3])
        ],
    )
    history = operator_client.get("/api/v1/sites/HIST/history").json()["data"]
    assert history[-1] == {**history[-1], "online": 1, "total": 4}
    outages = operator_client.get("/api/v1/sites/HIST/outages").json()["data"]
    assert len(outages) == 1
    assert [e["iccid"] for e in outages[0]["evidence"]] == [s.iccid for s in sims[:3]]
    assert outages[0]["severity"] == "high"  # 75 % lost at a medium site


def test_only_admins_change_the_detection_policy(client_for):
    assert (
        client_for(Role.VIEWER)
        .get("/api/v1/sites/detection-policy")
        .json()["data"]["threshold_percent"]
        == 50
    )
    operator = client_for(Role.OPERATOR)
    assert (
        operator.put("/api/v1/sites/detection-policy", {"min_sims": 5}, format="json").status_code
        == 403
    )
    admin = client_for(Role.ADMIN)
    changed = admin.put("/api/v1/sites/detection-policy", {"min_sims": 5}, format="json")
    assert changed.json()["data"]["min_sims"] == 5
    bad = admin.put("/api/v1/sites/detection-policy", {"threshold_percent": 0}, format="json")
    assert bad.status_code in (400, 422)


def test_admins_get_data_streamer_credentials_once(client_for, organization):
    response = client_for(Role.ADMIN).post(
        "/api/v1/integrations/1nce/data-streamer/credentials", {}, format="json"
    )
    assert response.status_code == 201
    body = response.json()["data"]
    assert body["endpoint"].endswith("/api/v1/integrations/1nce/data-streamer/events")
    stream = DataStream.objects.get(organization=organization)
    assert stream.username == body["username"]
    assert body["password"] not in stream.secret_hash
    assert services.authenticate_stream(body["username"], body["password"]) == stream
    assert (
        client_for(Role.OPERATOR)
        .post("/api/v1/integrations/1nce/data-streamer/credentials", {}, format="json")
        .status_code
        == 403
    )


def _site_outage(organization, make_site, *, auto_resolve=True, system=None):
    services.update_policy(
        organization=organization,
        changes={"auto_resolve": auto_resolve, "settle_seconds": 60},
        context=system,
    )
    site = make_site(organization, sims=4)
    sims = list(site.sims.order_by("pk"))
    start = timezone.now() - timedelta(minutes=40)
    down = [
        Observation(sim_id=s.pk, online=False, at=start, event_id=10 + i)
        for i, s in enumerate(sims[:3])
    ]
    back = [
        Observation(sim_id=s.pk, online=True, at=start + timedelta(minutes=15), event_id=20 + i)
        for i, s in enumerate(sims[:3])
    ]
    assert correlate(organization=organization, observations=down).outages_opened
    settled = correlate(organization=organization, observations=back)
    assert (settled.outages_resolved or settled.resolutions_proposed) != []
    return SiteOutage.objects.select_related("outage").get(site=site), start


def test_without_auto_resolve_the_evidence_proposes_and_a_person_accepts(
    organization, make_site, system, operator_client
):
    site_outage, start = _site_outage(organization, make_site, auto_resolve=False, system=system)
    assert site_outage.state == SiteOutageState.PROPOSED
    assert site_outage.outage.resolved_at is None
    assert TimelineEntry.objects.filter(
        outage=site_outage.outage, kind=TimelineKind.RESOLUTION_PROPOSED
    ).exists()
    code = site_outage.site.code
    accepted = operator_client.post(f"/api/v1/sites/{code}/accept-resolution")
    assert accepted.status_code == 200, accepted.content
    outage = Outage.objects.get(pk=site_outage.outage_id)
    assert outage.resolved_at == start + timedelta(minutes=15)
    assert (outage.mttr_minutes, outage.resolved_at_source) == (15, "evidence")
    assert operator_client.post(f"/api/v1/sites/{code}/accept-resolution").status_code == 409


def test_a_person_changes_an_evidence_timestamp_only_with_a_reason(
    organization, make_site, system, admin_context
):
    services.update_policy(organization=organization, changes={"min_sims": 3}, context=system)
    site = make_site(organization, sims=4)
    at = timezone.now() - timedelta(minutes=20)
    correlate(
        organization=organization,
        observations=[
            Observation(sim_id=s.pk, online=False, at=at, event_id=i + 1)
            for i, s in enumerate(site.sims.order_by("pk")[:3])
        ],
    )
    outage = Outage.objects.get(organization=organization)
    assert outage.detected_at_source == "evidence"
    earlier = at - timedelta(minutes=5)
    with pytest.raises(InvalidInput):
        outage_services.update_outage(
            outage=outage, changes={"detected_at": earlier}, context=admin_context
        )
    outage_services.update_outage(
        outage=outage,
        changes={"detected_at": earlier, "reason": "Power alarm came first"},
        context=admin_context,
    )
    outage.refresh_from_db()
    assert (outage.detected_at, outage.detected_at_source) == (earlier, "person")
    entry = TimelineEntry.objects.get(outage=outage, kind=TimelineKind.TIMESTAMP_CORRECTED)
    assert entry.details["reason"] == "Power alarm came first"
    assert entry.actor_name == "noc-admin"
