"""Tenancy reaches the upstream: an organization calls 1NCE only through an account connected
to it. The default account belongs to the organization named by ONENCE_DEFAULT_ORGANIZATION
(``organization`` here, see the ``onence_simulator`` fixture); ``other_organization`` has no
account until a test connects one.

Each case checks both sides: the refused caller gets 409 UPSTREAM_NOT_CONFIGURED (or 404 for
another organization's SIM), and nothing happened at 1NCE or in either mirror.
"""

import pytest
from rest_framework.test import APIClient

from accounts.models import Role
from accounts.tests.factories import UserFactory
from core.models import Job
from core.tests.api import assert_error_envelope
from quotas.models import TopUp
from quotas.services import check_quotas
from sims.models import OnenceAccount, Order, Sim
from sims.selectors import connected_organizations
from sims.services import sync_all
from sims.services.sync import sync_organization
from sims.tests.factories import SimFactory
from sms.models import SmsMessage
from sms.services.sync import sims_to_sync
from upstream.exceptions import UpstreamAuthError
from usage.services import active_sims

pytestmark = pytest.mark.django_db(transaction=True)

SECOND_CLIENT_ID = "second-org-client"
SECOND_SECRET = "second-org-secret"


@pytest.fixture
def owner_fleet(onence_simulator, organization):
    """Four SIMs in the default account; the first two mirrored into their owner."""
    iccids = onence_simulator.seed_fleet(sims=4, days=2)
    for iccid in iccids[:2]:
        SimFactory(organization=organization, iccid=iccid, status="Enabled")
    return iccids


@pytest.fixture
def intruder(other_organization):
    """An operator of an organization with no 1NCE account."""
    client = APIClient()
    client.force_authenticate(UserFactory(organization=other_organization, role=Role.OPERATOR))
    return client


@pytest.fixture
def stray_sim(owner_fleet, other_organization):
    """A SIM row of the unconnected organization (left from an account it no longer has)
    whose ICCID lives in the default account."""
    return SimFactory(organization=other_organization, iccid=owner_fleet[3], status="Enabled")


def calls_to_1nce(simulator, *, method=None) -> int:
    return len(simulator.requests_received(method=method))


def assert_not_connected(response):
    assert response.status_code == 409, response.content
    body = response.json()
    assert_error_envelope(body, "UPSTREAM_NOT_CONFIGURED")
    assert body["error"]["details"]["upstream"] == "1nce"
    assert "1NCE accounts" in body["error"]["message"]


def test_unconnected_organization_cannot_place_an_order(intruder, onence_simulator, owner_fleet):
    before = calls_to_1nce(onence_simulator)
    response = intruder.post(
        "/api/v1/orders", {"items": [{"product_id": 1, "quantity": 1}]}, format="json"
    )
    assert_not_connected(response)
    assert not Order.objects.exists()
    assert calls_to_1nce(onence_simulator) == before


def test_unconnected_organization_cannot_read_the_catalogue(intruder, onence_simulator):
    assert_not_connected(intruder.get("/api/v1/products"))


def test_unconnected_organization_cannot_claim_an_unmirrored_sim(
    intruder, onence_simulator, owner_fleet, other_organization
):
    unmirrored = owner_fleet[2]
    response = intruder.post(
        "/api/v1/sims", {"sims": [{"iccid": unmirrored, "status": "Disabled"}]}, format="json"
    )
    assert_not_connected(response)
    assert not Sim.objects.filter(iccid=unmirrored).exists()
    assert onence_simulator.get_sim(unmirrored)["status"] == "Enabled"


def test_unconnected_organization_cannot_claim_sims_in_a_bulk_job(
    intruder, onence_simulator, owner_fleet
):
    items = [{"iccid": owner_fleet[2], "label": f"x{i}"} for i in range(51)]
    assert_not_connected(intruder.post("/api/v1/sims", {"sims": items}, format="json"))
    assert not Job.objects.exists()


def test_unconnected_organization_cannot_sync_all(
    intruder, onence_simulator, owner_fleet, organization, other_organization
):
    assert_not_connected(intruder.post("/api/v1/sims/sync-all"))
    assert not Job.objects.exists()
    assert not Sim.objects.filter(organization=other_organization).exists()
    assert Sim.objects.filter(organization=organization).count() == 2


def test_unconnected_organization_cannot_operate_its_stray_sim(
    intruder, onence_simulator, stray_sim
):
    base = f"/api/v1/sims/{stray_sim.iccid}"
    before = calls_to_1nce(onence_simulator)
    assert_not_connected(intruder.post(f"{base}/sync"))
    assert_not_connected(intruder.patch(base, {"status": "Disabled"}, format="json"))
    assert_not_connected(intruder.post(f"{base}/reset", {}, format="json"))
    assert_not_connected(intruder.get(f"{base}/connectivity"))
    assert_not_connected(intruder.get(f"{base}/quota/data"))
    assert_not_connected(
        intruder.post(f"{base}/topup", {"quota_type": "data", "volume": 524_288_000}, format="json")
    )
    assert_not_connected(intruder.post(f"{base}/sms", {"message": "hello"}, format="json"))
    assert_not_connected(intruder.post(f"{base}/usage/sync"))
    assert calls_to_1nce(onence_simulator) == before
    assert onence_simulator.get_sim(stray_sim.iccid)["status"] == "Enabled"
    assert not TopUp.objects.exists()
    assert not SmsMessage.objects.exists()


def test_unconnected_organization_cannot_bulk_or_auto_top_up(intruder, onence_simulator, stray_sim):
    item = {"iccid": stray_sim.iccid, "quota_type": "data", "volume": 524_288_000}
    assert_not_connected(intruder.post("/api/v1/sims/topup", {"sims": [item]}, format="json"))
    assert not Job.objects.exists()
    rule = {
        "sims": [stray_sim.iccid],
        "quota_type": "sms",
        "threshold_percentage": 80,
        "topup_amount": 250,
        "enabled": True,
    }
    assert_not_connected(intruder.post("/api/v1/sims/auto-topup", rule, format="json"))


def test_another_organizations_sims_answer_404_for_every_upstream_operation(
    intruder, onence_simulator, owner_fleet
):
    base = f"/api/v1/sims/{owner_fleet[0]}"
    before = calls_to_1nce(onence_simulator)
    for response in [
        intruder.post(f"{base}/sync"),
        intruder.patch(base, {"status": "Disabled"}, format="json"),
        intruder.post(f"{base}/topup", {"quota_type": "sms", "volume": 250}, format="json"),
        intruder.post(f"{base}/sms", {"message": "hello"}, format="json"),
        intruder.get(f"{base}/limits"),
        intruder.put(f"{base}/limits", {"monthly_sms_limit": 1}, format="json"),
    ]:
        assert response.status_code == 404, response.content
    assert calls_to_1nce(onence_simulator) == before
    assert onence_simulator.get_sim(owner_fleet[0])["status"] == "Enabled"


def test_periodic_syncs_skip_unconnected_organizations(
    onence_simulator, owner_fleet, stray_sim, organization, other_organization
):
    assert list(connected_organizations()) == [organization]
    results = sync_all()
    assert [r.organization for r in results] == [organization.slug]
    assert not Sim.objects.filter(organization=other_organization).exclude(pk=stray_sim.pk)
    assert stray_sim not in active_sims()
    assert stray_sim not in sims_to_sync()
    assert check_quotas(organization=other_organization)["errors"] == 0


def test_default_account_belongs_only_to_its_named_organization(
    onence_simulator, owner_fleet, organization, other_organization, settings
):
    settings.ONENCE_DEFAULT_ORGANIZATION = other_organization.slug
    assert list(connected_organizations()) == [other_organization]
    settings.ONENCE_DEFAULT_ORGANIZATION = ""
    assert not connected_organizations().exists()


def test_organization_with_its_own_account_sees_only_that_accounts_sims(
    onence_simulator, owner_fleet, organization, other_organization, settings
):
    onence_simulator.register_account(client_id=SECOND_CLIENT_ID, client_secret=SECOND_SECRET)
    own = onence_simulator.seed_fleet(sims=3, days=1, client_id=SECOND_CLIENT_ID, seed=7)
    OnenceAccount.objects.create(
        organization=other_organization,
        base_url=settings.ONENCE_BASE_URL,
        client_id=SECOND_CLIENT_ID,
        client_secret=SECOND_SECRET,
    )
    result = sync_organization(organization=other_organization)
    assert result.complete
    assert set(
        Sim.objects.filter(organization=other_organization).values_list("iccid", flat=True)
    ) == set(own)
    assert Sim.objects.filter(organization=organization).count() == 2
    assert {r["client_id"] for r in onence_simulator.requests_received(path_contains="/sims")} >= {
        SECOND_CLIENT_ID
    }


def test_an_account_with_anothers_client_id_and_a_wrong_secret_gets_no_cached_token(
    onence_simulator, owner_fleet, organization, other_organization, settings
):
    """A client id is no secret: an organization that connects the default account's client id
    with a wrong secret is refused by 1NCE, never lent the token its owner has cached."""
    assert sync_organization(organization=organization).complete  # the owner's token cached
    OnenceAccount.objects.create(
        organization=other_organization,
        base_url=settings.ONENCE_BASE_URL,
        client_id=settings.ONENCE_CLIENT_ID,
        client_secret="guessed-secret",
    )
    sims_read = len(onence_simulator.requests_received(path_contains="/v1/sims"))

    with pytest.raises(UpstreamAuthError):
        sync_organization(organization=other_organization)

    token_calls = onence_simulator.requests_received(path_contains="/oauth/token")
    assert [call["status"] for call in token_calls] == [200, 400]
    assert len(onence_simulator.requests_received(path_contains="/v1/sims")) == sims_read
    assert not Sim.objects.filter(organization=other_organization).exists()
