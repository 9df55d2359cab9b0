"""Every operation the simulator serves, called over HTTP and checked against 1NCE's files."""

import pytest
from django.conf import settings

from simulators.onence import testing
from simulators.tests.conftest import BASE, basic
from simulators.tests.contract import AUTH, ORDERS, PRODUCTS, V1, V1_LATER, V2, check

pytestmark = pytest.mark.django_db

V1_FILES = [V1, V1_LATER]


def test_token_200_and_400(client, onence):
    url = f"{BASE}/oauth/token"
    auth = basic(settings.ONENCE_CLIENT_ID, settings.ONENCE_CLIENT_SECRET)
    good = client.post(
        url, {"grant_type": "client_credentials"}, "application/json", HTTP_AUTHORIZATION=auth
    )
    check(AUTH, "POST", "/oauth/token", good)
    bad = client.post(url, {}, "application/json", HTTP_AUTHORIZATION=auth)
    check(AUTH, "POST", "/oauth/token", bad)
    assert bad.json()["errorCode"] == "BodyValidationError"


def test_sim_list(onence, fleet):
    response = onence.get("/v2/sims", page=1, pageSize=2)
    check(V2, "GET", "/v2/sims", response)
    assert len(response.json()) == 2


def test_sim_detail_and_not_found(onence, fleet):
    check(V2, "GET", "/v2/sims/{iccid}", onence.get(f"/v2/sims/{fleet[0]}"))
    check(V2, "GET", "/v2/sims/{iccid}", onence.get("/v2/sims/8988303099999999999"))


def test_sim_update_v2(onence, fleet):
    response = onence.put(f"/v2/sims/{fleet[0]}", {"label": "x", "status": "Disabled"})
    check(V2, "PUT", "/v2/sims/{iccid}", response)
    check(V2, "PUT", "/v2/sims/{iccid}", onence.put(f"/v2/sims/{fleet[0]}", {"status": "On"}))


@pytest.mark.parametrize("name", V1_FILES)
def test_sim_update_v1_and_bulk(onence, fleet, name):
    one = onence.put(f"/v1/sims/{fleet[0]}", {"iccid": fleet[0], "status": "Enabled"})
    check(name, "PUT", "/v1/sims/{iccid}", one)
    bulk = onence.post("/v1/sims", [{"iccid": iccid, "status": "Enabled"} for iccid in fleet])
    check(name, "POST", "/v1/sims", bulk)


def test_expired_sim_answers_422(onence, fleet):
    testing.expire_sim(fleet[0])
    response = onence.put(f"/v1/sims/{fleet[0]}", {"iccid": fleet[0], "status": "Disabled"})
    check(V1_LATER, "PUT", "/v1/sims/{iccid}", response)
    assert response.status_code == 422


def test_reset(onence, fleet):
    check(V2, "POST", "/v2/sims/{iccid}/reset", onence.post(f"/v2/sims/{fleet[0]}/reset"))


@pytest.mark.parametrize("service", ["data", "sms"])
def test_quota(onence, fleet, service):
    response = onence.get(f"/v2/sims/{fleet[0]}/quota/{service}")
    check(V2, "GET", f"/v2/sims/{{iccid}}/quota/{service}", response)


@pytest.mark.parametrize("state", ["ONLINE", "ATTACHED", "OFFLINE", None])
def test_status(onence, fleet, state):
    testing.set_connectivity(fleet[0], state)
    response = onence.get(f"/v2/sims/{fleet[0]}/status")
    check(V2, "GET", "/v2/sims/{iccid}/status", response)


def test_status_of_disabled_sim_is_blocked(onence, fleet):
    onence.put(f"/v2/sims/{fleet[0]}", {"status": "Disabled"})
    response = onence.get(f"/v2/sims/{fleet[0]}/status")
    check(V2, "GET", "/v2/sims/{iccid}/status", response)
    assert response.json()["status"]["description"] == "BLOCKED"


@pytest.mark.parametrize("name", V1_FILES)
@pytest.mark.parametrize("state", ["ONLINE", "OFFLINE"])
def test_connectivity_info(onence, fleet, name, state):
    testing.set_connectivity(fleet[0], state)
    response = onence.get(f"/v1/sims/{fleet[0]}/connectivity_info", ussd="true")
    check(name, "GET", "/v1/sims/{iccid}/connectivity_info", response)


def test_sms_send_list_detail_cancel(onence, fleet):
    path = f"/v2/sims/{fleet[0]}/sms"
    sent = onence.post(path, {"payload": "ping", "source_address": "1234"})
    check(V2, "POST", "/v2/sims/{iccid}/sms", sent)
    check(V2, "POST", "/v2/sims/{iccid}/sms", onence.post(path, {"udh": "zz", "payload": "x"}))
    check(V2, "GET", "/v2/sims/{iccid}/sms", onence.get(path, page=1, per_page=10))
    sms_id = sent.json()["id"]
    check(V2, "GET", "/v2/sims/{iccid}/sms/{id}", onence.get(f"{path}/{sms_id}"))
    check(V2, "DELETE", "/v2/sims/{iccid}/sms/{id}", onence.delete(f"{path}/{sms_id}"))
    check(V2, "GET", "/v2/sims/{iccid}/sms/{id}", onence.get(f"{path}/{sms_id}"))


def test_sms_to_disabled_sim_is_409(onence, fleet):
    onence.put(f"/v2/sims/{fleet[0]}", {"status": "Disabled"})
    response = onence.post(f"/v2/sims/{fleet[0]}/sms", {"payload": "ping"})
    check(V2, "POST", "/v2/sims/{iccid}/sms", response)
    assert response.status_code == 409


def test_delivered_and_expired_sms(onence, fleet):
    path = f"/v2/sims/{fleet[1]}/sms"
    onence.post(path, {"payload": "ping"})
    testing.set_connectivity(fleet[2], "OFFLINE")
    onence.post(f"/v2/sims/{fleet[2]}/sms", {"payload": "ping"})
    testing.advance_time(seconds=2 * 86400)
    onence.reauthenticate()
    check(V2, "GET", "/v2/sims/{iccid}/sms", onence.get(path))
    check(V2, "GET", "/v2/sims/{iccid}/sms", onence.get(f"/v2/sims/{fleet[2]}/sms"))


def test_events(onence, fleet):
    onence.put(f"/v2/sims/{fleet[0]}", {"status": "Disabled"})
    onence.post(f"/v2/sims/{fleet[0]}/topup")
    response = onence.get(f"/v2/sims/{fleet[0]}/events", page=1, pageSize=1000)
    check(V2, "GET", "/v2/sims/{iccid}/events", response)
    assert response.json()


def test_topup_one(onence, fleet):
    response = onence.post(f"/v2/sims/{fleet[0]}/topup", payment_method="creditcard")
    check(V2, "POST", "/v2/sims/{iccid}/topup", response)
    invalid = onence.post(f"/v2/sims/{fleet[0]}/topup", payment_method="bitcoin")
    check(V2, "POST", "/v2/sims/{iccid}/topup", invalid)


@pytest.mark.parametrize("name", V1_FILES)
def test_usage(onence, fleet, name):
    response = onence.get(f"/v1/sims/{fleet[0]}/usage", start_dt="2000-01-01", end_dt="2100-01-01")
    check(name, "GET", "/v1/sims/{iccid}/usage", response)
    check(name, "GET", "/v1/sims/{iccid}/usage", onence.get(f"/v1/sims/{fleet[0]}/usage"))


@pytest.mark.parametrize("name", V1_FILES)
def test_bulk_and_auto_topup_and_extension(onence, fleet, name):
    check(name, "POST", "/v1/sims/topup", onence.post("/v1/sims/topup", fleet))
    body = {"enabled": True, "iccids": fleet}
    check(name, "POST", "/v1/sims/autoTopup", onence.post("/v1/sims/autoTopup", body))
    extension = onence.post("/v1/sims/extension", {"iccids": fleet[:1]})
    check(name, "POST", "/v1/sims/extension", extension)


@pytest.mark.parametrize("name", V1_FILES)
def test_limits(onence, name):
    check(name, "GET", "/v1/sims/limits", onence.get("/v1/sims/limits"))
    body = {"dataLimitId": 2, "smsMtLimitId": 1, "smsMoLimitId": 3}
    check(name, "POST", "/v1/sims/limits", onence.post("/v1/sims/limits", body))
    for service in ("data", "smsMO", "smsMT"):
        response = onence.get(f"/v1/sims/{service}/limits")
        check(name, "GET", "/v1/sims/{service}/limits", response)


def test_orders_and_products(onence, fleet):
    onence.post(f"/v2/sims/{fleet[0]}/topup")
    body = {"products": [{"productId": 1001, "quantity": 5}], "customer_reference": "PO-1"}
    created = onence.post("/v1/orders", body)
    check(ORDERS, "POST", "/v1/orders", created)
    listing = onence.get("/v1/orders", page=1, pageSize=10, sort="-order_date")
    check(ORDERS, "GET", "/v1/orders", listing)
    number = created["Location"].rsplit("/", 1)[1]
    check(ORDERS, "GET", "/v1/orders/{order_number}", onence.get(f"/v1/orders/{number}"))
    check(ORDERS, "GET", "/v1/orders/{order_number}", onence.get("/v1/orders/1"))
    check(PRODUCTS, "GET", "/v1/products", onence.get("/v1/products"))
