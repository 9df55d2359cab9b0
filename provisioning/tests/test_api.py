"""The provisioning API beyond life cycles: legacy facade, audit, cust_id authorization,
tenancy, rate limits, idempotency, lists."""

import pytest
from rest_framework.test import APIClient

from accounts.models import AuditLog, Role
from accounts.tests.factories import UserFactory
from provisioning.models import CustomerAuthorization, ProvisioningRequest, Subscriber
from provisioning.tests.conftest import CUST_ID, create_body
from provisioning.tests.factories import (
    CustomerAuthorizationFactory,
    ProvisioningRequestFactory,
    SubscriberFactory,
)

live = pytest.mark.django_db(transaction=True)


def legacy_body(body: dict) -> dict:
    """The v4 shape of a v1 create body."""
    return {
        "Iccid": body["iccid"],
        "MsIsdn": body["msisdn"],
        "CustId": body["cust_id"],
        "AdminInfo": body["admin_info"],
        "Aor": {
            "DomainId": body["aor"]["domain_id"],
            "AuthUsername": body["aor"]["auth_username"],
            "AuthPassword": body["aor"]["auth_password"],
        },
        "Apn": {
            "Name": body["apn"]["name"],
            "SpeedUp": body["apn"]["speed_up"],
            "SpeedDown": body["apn"]["speed_down"],
        },
        "SubscriberState": body["subscriber_state"],
        "NetworkAccessList": {
            "ZoneNL": True,
            "Zone1": True,
            "Zone2": False,
            "Zone3": False,
            "Zone4": False,
            "Zone5": False,
        },
        "Contract": {"ServicePackage": 1234567, "ServiceProfile": 7, "Duration": 12},
        "Credit": {"MaxCredit": 50.0},
    }


def comparable(data: dict) -> dict:
    """A subscriber without what differs by nature between two creations."""
    data = dict(data)
    for key in ("iccid", "msisdn", "imsi"):
        data.pop(key)
    data["contract"] = {k: v for k, v in data["contract"].items() if k != "contract_start"}
    data["aor"] = {k: v for k, v in data["aor"].items() if k != "auth_username"}
    return data


@live
def test_legacy_and_v1_create_the_same_subscriber_and_read_each_other(pmnl, api):
    v1 = create_body()
    old = create_body()
    assert api.post("/api/v1/subscribers", v1, format="json").status_code == 200
    response = api.post("/api/pmnl/createsub", legacy_body(old), format="json")
    assert response.status_code == 200, response.content
    assert response.json()["Status"] == "completed"
    through_v1 = api.get(f"/api/v1/subscribers/{old['iccid']}").json()["data"]
    through_legacy = api.post("/api/pmnl/readsub", {"Iccid": v1["iccid"]}, format="json")
    assert through_legacy.status_code == 200, through_legacy.content
    legacy_answer = through_legacy.json()
    assert legacy_answer["Data"]["MsIsdn"] == v1["msisdn"]
    assert legacy_answer["Data"]["NetworkAccessList"]["ZoneNL"] is True
    assert "success" not in legacy_answer
    v1_read = api.get(f"/api/v1/subscribers/{v1['iccid']}").json()["data"]
    assert comparable(through_v1) == comparable(v1_read)
    rows = {row.iccid: row for row in Subscriber.objects.all()}
    assert rows[v1["iccid"]].max_credit == rows[old["iccid"]].max_credit


@live
def test_legacy_readsub_needs_exactly_one_identifier(pmnl, api):
    for body in ({}, {"Iccid": "89312400000001234567", "MsIsdn": "31612345678"}):
        response = api.post("/api/pmnl/readsub", body, format="json")
        assert response.status_code == 422
        assert response.json()["error"]["details"]["errors"][0]["loc"] == ["body"]


@live
def test_legacy_updatesub_dispatches_by_payload_and_deletesub(pmnl, api):
    body = create_body()
    api.post("/api/v1/subscribers", body, format="json")
    response = api.post(
        "/api/pmnl/updatesub", {"MsIsdn": body["msisdn"], "SubscriberState": False}, format="json"
    )
    assert response.status_code == 200, response.content
    response = api.post(
        "/api/pmnl/updatesub",
        {"Iccid": body["iccid"], "Credit": {"MaxCredit": 75.25}},
        format="json",
    )
    assert response.status_code == 200, response.content
    row = Subscriber.objects.get(iccid=body["iccid"])
    assert row.subscriber_state is False and float(row.max_credit) == 75.25
    operations = list(
        AuditLog.objects.filter(resource_type="subscriber", status="success")
        .order_by("id")
        .values_list("operation", flat=True)
    )
    assert operations[-2:] == ["UPDATE_STATE", "UPDATE_CREDIT"]
    two = {"Iccid": body["iccid"], "Credit": {"MaxCredit": 1}, "SubscriberState": True}
    assert api.post("/api/pmnl/updatesub", two, format="json").status_code == 422
    response = api.delete(f"/api/pmnl/deletesub/{body['iccid']}")
    assert response.status_code == 200, response.content
    assert not Subscriber.objects.filter(iccid=body["iccid"]).exists()


@live
def test_every_operation_is_audited_with_the_password_redacted(pmnl, api, provisioner):
    body = create_body()
    api.post("/api/v1/subscribers", body, format="json")
    api.get(f"/api/v1/subscribers/{body['iccid']}")
    aor = {"domain_id": 5, "auth_username": "user1", "auth_password": "topsecret1"}
    api.patch(f"/api/v1/subscribers/{body['iccid']}/aor", aor, format="json")
    api.delete(f"/api/v1/subscribers/{body['iccid']}")
    entries = list(AuditLog.objects.filter(resource_type="subscriber").order_by("id"))
    assert [e.operation for e in entries] == ["CREATE", "READ", "UPDATE_AOR", "DELETE"]
    assert [e.response_status for e in entries] == [200, 200, 200, 200]
    assert all(e.user == provisioner and e.status == "success" for e in entries)
    assert entries[0].request_body["aor"]["auth_password"] == "[REDACTED]"
    assert entries[0].request_body["aor"]["auth_username"] == "+31612345678"
    assert entries[2].request_body["auth_password"] == "[REDACTED]"
    stored = str(list(AuditLog.objects.values_list("request_body", flat=True)))
    assert "secure-pass" not in stored and "topsecret1" not in stored


@live
def test_unmapped_cust_id_is_403_audited_and_nothing_sent(pmnl, api):
    body = create_body(cust_id="9999999")
    response = api.post("/api/v1/subscribers", body, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "FORBIDDEN"
    assert not pmnl.requests_received(path_contains="/v5/subscribers")
    assert not Subscriber.objects.exists() and not ProvisioningRequest.objects.exists()
    assert AuditLog.objects.get(operation="CREATE").response_status == 403


@live
def test_changing_a_subscriber_of_an_unmapped_cust_id_is_403(pmnl, api, organization):
    [iccid] = pmnl.seed_subscribers(client_id="fleetops-pmnl", count=1, cust_id="9555555")
    response = api.patch(f"/api/v1/subscribers/{iccid}/state", {"subscriber_state": False})
    assert response.status_code == 403
    assert api.delete(f"/api/v1/subscribers/{iccid}").status_code == 403
    assert pmnl.get_subscriber(client_id="fleetops-pmnl", iccid=iccid)["subscriber_state"] is True
    # Reading is not provisioning: allowed.
    assert api.get(f"/api/v1/subscribers/{iccid}").status_code == 200


@pytest.mark.django_db
def test_user_authorizations_lists_only_the_callers(provisioner, api, organization):
    CustomerAuthorizationFactory(user=provisioner, cust_id="9000001")
    CustomerAuthorizationFactory(user=UserFactory(organization=organization), cust_id="9777777")
    response = api.get("/api/v1/user/authorizations")
    assert response.status_code == 200
    assert [row["cust_id"] for row in response.json()["data"]] == ["9000001", CUST_ID]


@pytest.mark.django_db
def test_only_an_organization_admin_maps_cust_ids(organization, other_organization):
    from core.context import Context
    from core.errors import InvalidInput, PermissionDenied
    from provisioning import services

    admin = UserFactory(organization=organization, role=Role.ADMIN)
    user = UserFactory(organization=organization)
    services.grant_customer(user=user, cust_id="9000002", context=Context(actor=admin))
    assert CustomerAuthorization.objects.filter(user=user, cust_id="9000002").exists()
    with pytest.raises(PermissionDenied):
        services.grant_customer(user=user, cust_id="9000003", context=Context(actor=user))
    foreign_admin = UserFactory(organization=other_organization, role=Role.ADMIN)
    with pytest.raises(PermissionDenied):
        services.grant_customer(user=user, cust_id="9000003", context=Context(actor=foreign_admin))
    with pytest.raises(InvalidInput):
        services.grant_customer(user=user, cust_id="123", context=Context(actor=admin))


@live
def test_another_organizations_subscriber_is_404_everywhere(pmnl, api, other_organization):
    theirs = SubscriberFactory(organization=other_organization, cust_id=CUST_ID)
    for call in (
        lambda: api.get(f"/api/v1/subscribers/{theirs.iccid}"),
        lambda: api.get(f"/api/v1/subscribers/{theirs.msisdn}"),
        lambda: api.patch(
            f"/api/v1/subscribers/{theirs.iccid}/state", {"subscriber_state": False}, format="json"
        ),
        lambda: api.delete(f"/api/v1/subscribers/{theirs.iccid}"),
        lambda: api.post("/api/pmnl/readsub", {"Iccid": theirs.iccid}, format="json"),
    ):
        response = call()
        assert response.status_code == 404, response.content
    assert not pmnl.requests_received(path_contains="/v5/subscribers")
    assert Subscriber.objects.filter(pk=theirs.pk).exists()


@pytest.mark.django_db
def test_organization_without_pmnl_account_gets_409_before_anything_is_written(
    other_organization,
):
    user = UserFactory(organization=other_organization)
    CustomerAuthorizationFactory(user=user, cust_id=CUST_ID)
    client = APIClient()
    client.force_authenticate(user)
    body = create_body()
    for response in (
        client.post("/api/v1/subscribers", body, format="json"),
        client.get(f"/api/v1/subscribers/{body['iccid']}"),
        client.post("/api/pmnl/createsub", {"Iccid": body["iccid"], **body}, format="json"),
    ):
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "UPSTREAM_NOT_CONFIGURED"
    assert not Subscriber.objects.exists()
    assert not ProvisioningRequest.objects.exists()
    assert not AuditLog.objects.exists()


@pytest.mark.django_db
def test_lists_show_own_organization_only(api, provisioner, organization, other_organization):
    """Their query counts are pinned in test_lists.py."""
    mine = SubscriberFactory.create_batch(3, organization=organization)
    SubscriberFactory.create_batch(2, organization=other_organization)
    response = api.get("/api/v1/subscribers")
    assert response.status_code == 200
    assert {row["iccid"] for row in response.json()["data"]} == {s.iccid for s in mine}
    assert (
        api.get(f"/api/v1/subscribers?cust_id={CUST_ID}&search={mine[0].iccid}").json()[
            "pagination"
        ]["total"]
        == 1
    )

    own = ProvisioningRequestFactory.create_batch(
        2, organization=organization, created_by=provisioner
    )
    colleague = ProvisioningRequestFactory(organization=organization)
    foreign = ProvisioningRequestFactory(organization=other_organization)
    ids = {row["request_id"] for row in api.get("/api/v1/requests").json()["data"]}
    assert ids == {str(r.id) for r in own}
    assert api.get(f"/api/v1/requests/{foreign.id}").status_code == 404
    assert api.get(f"/api/v1/requests/{colleague.id}").status_code == 404
    assert api.get("/api/v1/requests/not-a-uuid").status_code == 404
    admin = APIClient()
    admin.force_authenticate(UserFactory(organization=organization, role=Role.ADMIN))
    assert admin.get("/api/v1/requests").json()["pagination"]["total"] == 3


@pytest.mark.django_db
def test_request_polling_is_limited_to_30_a_minute_per_user(api, provisioner, organization):
    request = ProvisioningRequestFactory(organization=organization, created_by=provisioner)
    statuses = [api.get(f"/api/v1/requests/{request.id}").status_code for _ in range(31)]
    assert statuses[:30] == [200] * 30
    assert statuses[30] == 429
    other = APIClient()
    other.force_authenticate(UserFactory(organization=organization))
    assert other.get("/api/v1/requests").status_code == 200


@pytest.mark.django_db
def test_subscriber_operations_are_limited_per_user(api, settings):
    settings.PMNL_SUBSCRIBER_RATE_PER_MINUTE = 5
    statuses = [api.get("/api/v1/subscribers").status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    assert api.get("/api/v1/user/authorizations").status_code == 200


@live
def test_idempotency_key_creates_once(pmnl, api):
    body = create_body()
    headers = {"HTTP_IDEMPOTENCY_KEY": "create-1"}
    first = api.post("/api/v1/subscribers", body, format="json", **headers)
    second = api.post("/api/v1/subscribers", body, format="json", **headers)
    assert first.status_code == second.status_code == 200
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.json()["request_id"] == first.json()["request_id"]
    assert ProvisioningRequest.objects.count() == 1
    assert len(pmnl.requests_received(path_contains="/v5/subscribers?")) == 1


@live
def test_reading_a_subscriber_whose_msisdn_another_organization_mirrors_answers_and_leaves_theirs(
    pmnl, api, organization, other_organization, settings
):
    """Our PMNL account has a subscriber with a number another organization's mirror holds
    (another account, another SIM): the read answers from PMNL, their row stays theirs."""
    [iccid] = pmnl.seed_subscribers(client_id=settings.PMNL_CLIENT_ID, count=1)
    msisdn = pmnl.get_subscriber(client_id=settings.PMNL_CLIENT_ID, iccid=iccid)["msisdn"]
    theirs = SubscriberFactory(organization=other_organization, msisdn=msisdn)

    response = api.get(f"/api/v1/subscribers/{iccid}")
    assert response.status_code == 200, response.content
    assert response.json()["data"]["msisdn"] == msisdn
    theirs.refresh_from_db()
    assert theirs.organization == other_organization and theirs.iccid != iccid
    assert not Subscriber.objects.filter(organization=organization).exists()
    assert AuditLog.objects.filter(operation="READ", status="success").count() == 1
