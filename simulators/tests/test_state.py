"""State that the simulator keeps: usage, quotas, top-ups, orders, SIM changes, events."""

import re

import pytest

from simulators.onence import testing
from simulators.onence.formats import BYTES_PER_MB
from simulators.onence.models import OnenceOrder, OnenceSim, OnenceUsageDay
from simulators.onence.usage import catch_up

pytestmark = pytest.mark.django_db
MB = re.compile(r"^-?\d+\.\d{6}$")


def usage_today(onence, iccid) -> dict:
    stats = onence.get(f"/v1/sims/{iccid}/usage").json()["stats"]
    assert stats[-1]["date"] == "TOTAL"
    return stats[0]


def test_usage_grows_with_time_and_shrinks_the_quota(onence, fleet):
    before = testing.get_sim(fleet[0])
    testing.advance_time(seconds=6 * 3600)
    onence.reauthenticate()
    after = testing.get_sim(fleet[0])
    assert after["data_remaining_mb"] < before["data_remaining_mb"]
    rows = OnenceUsageDay.objects.filter(sim__iccid=fleet[0])
    used = sum(row.data_rx + row.data_tx for row in rows) / BYTES_PER_MB
    assert after["data_total_mb"] - after["data_remaining_mb"] == pytest.approx(used, abs=1e-6)


def test_usage_answers_today_only_without_start_dt(onence, fleet):
    stats = onence.get(f"/v1/sims/{fleet[0]}/usage").json()["stats"]
    assert len(stats) == 2
    row = stats[0]
    assert row["date"].endswith("T00:00:00.000Z")
    for field in ("volume", "volume_rx", "volume_tx"):
        assert MB.match(row["data"][field])
    assert row["sms"]["volume"] == str(int(row["sms"]["volume_rx"]) + int(row["sms"]["volume_tx"]))


def test_usage_range_ends_with_a_total_row(onence, fleet):
    stats = onence.get(
        f"/v1/sims/{fleet[0]}/usage", start_dt="2000-01-01", end_dt="2100-01-01"
    ).json()["stats"]
    days, total = stats[:-1], stats[-1]
    assert len(days) == 11  # ten days of history and today
    assert total["date"] == "TOTAL"
    summed = sum(int(day["data"]["volume"].replace(".", "")) for day in days)
    assert int(total["data"]["volume"].replace(".", "")) == summed


def test_usage_history_is_limited_to_six_months(onence, fleet):
    sim = OnenceSim.objects.get(iccid=fleet[0])
    OnenceUsageDay.objects.create(sim=sim, date="2001-01-01", data_rx=5)
    stats = onence.get(f"/v1/sims/{fleet[0]}/usage", start_dt="2000-01-01").json()["stats"]
    assert all(not row["date"].startswith("2001") for row in stats)


@pytest.mark.parametrize(
    "params", [{"start_dt": "yesterday"}, {"start_dt": "2024-02-02", "end_dt": "2024-02-01"}]
)
def test_usage_rejects_bad_dates(onence, fleet, params):
    assert onence.get(f"/v1/sims/{fleet[0]}/usage", **params).status_code == 400


def test_topup_adds_a_package_and_creates_an_order(onence, fleet):
    before = testing.get_sim(fleet[0])
    response = onence.post(f"/v2/sims/{fleet[0]}/topup")
    assert response.status_code == 201
    location = response["Location"]
    assert re.search(r"/management-api/v1/orders/\d+$", location)
    after = testing.get_sim(fleet[0])
    assert after["data_total_mb"] == pytest.approx(before["data_remaining_mb"] + 500, abs=0.01)
    assert after["sms_total"] == before["sms_remaining"] + 250
    order = onence.get(location.split("/management-api")[1]).json()
    assert order["order_type"] == "TOPUP"
    assert order["order_status"] == "COMPLETED"
    assert [sim["iccid"] for sim in order["sims"]] == [fleet[0]]
    quota = onence.get(f"/v2/sims/{fleet[0]}/quota/data").json()
    assert quota["last_volume_added"] == 500
    assert quota["accumulated_total_volume"] == 1000


def test_bulk_topup_creates_one_bulk_order(onence, fleet):
    response = onence.post("/v1/sims/topup", fleet)
    assert response.status_code == 201
    order = OnenceOrder.objects.get()
    assert order.order_type == "BULK_TOPUP"
    assert order.iccids == fleet
    assert all(testing.get_sim(iccid)["sms_total"] >= 250 for iccid in fleet)


def test_topup_of_an_unknown_sim_is_404_and_changes_nothing(onence, fleet):
    assert onence.post("/v1/sims/topup", [fleet[0], "8988303099999999999"]).status_code == 404
    assert not OnenceOrder.objects.exists()


def test_auto_topup_tops_up_when_the_threshold_is_crossed(onence, fleet):
    assert (
        onence.post("/v1/sims/autoTopup", {"enabled": True, "iccids": fleet[:1]}).status_code == 201
    )
    OnenceSim.objects.filter(iccid=fleet[0]).update(
        data_volume=101_000_000, daily_data_bytes=20_000_000
    )
    testing.advance_time(seconds=86400)
    sim = testing.get_sim(fleet[0])
    assert sim["auto_topup"] is True
    assert OnenceOrder.objects.filter(order_type="TOPUP", iccids=[fleet[0]]).exists()
    assert sim["data_total_mb"] > 500


def test_put_changes_status_label_and_imei_lock_and_emits_an_event(onence, fleet):
    response = onence.put(
        f"/v2/sims/{fleet[0]}", {"status": "Disabled", "label": "truck 7", "imei_lock": True}
    )
    assert response.status_code == 200
    assert response.content == b""
    sim = testing.get_sim(fleet[0])
    assert (sim["status"], sim["label"], sim["imei_lock"]) == ("Disabled", "truck 7", True)
    events = onence.get(f"/v2/sims/{fleet[0]}/events").json()
    assert events[0]["event_type"]["description"] == "SIM status changed"
    assert "'Enabled' to 'Disabled'" in events[0]["description"]


def test_v1_put_needs_iccid_and_status(onence, fleet):
    assert onence.put(f"/v1/sims/{fleet[0]}", {"label": "x"}).status_code == 400
    body = {"iccid": fleet[1], "status": "Enabled"}
    assert onence.put(f"/v1/sims/{fleet[0]}", body).status_code == 400
    body = {"iccid": fleet[0], "status": "Disabled", "label": "v1"}
    assert onence.put(f"/v1/sims/{fleet[0]}", body).status_code == 200
    assert testing.get_sim(fleet[0])["label"] == "v1"


def test_bulk_update_is_accepted_with_201_and_applied(onence, fleet):
    body = [
        {"iccid": iccid, "status": "Disabled", "label": f"L{i}"} for i, iccid in enumerate(fleet)
    ]
    response = onence.post("/v1/sims", body)
    assert response.status_code == 201
    assert response.content == b""
    assert [testing.get_sim(iccid)["label"] for iccid in fleet] == ["L0", "L1", "L2"]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("put", "/v2/sims/{iccid}", {"label": "x"}),
        ("put", "/v1/sims/{iccid}", {"iccid": "{iccid}", "status": "Enabled"}),
        ("post", "/v2/sims/{iccid}/topup", None),
        ("post", "/v2/sims/{iccid}/reset", None),
        ("post", "/v2/sims/{iccid}/sms", {"payload": "hi"}),
        ("post", "/v1/sims", [{"iccid": "{iccid}", "status": "Enabled"}]),
        ("post", "/v1/sims/topup", ["{iccid}"]),
    ],
)
def test_changes_to_an_expired_sim_answer_422(onence, fleet, method, path, body):
    testing.expire_sim(fleet[0])

    def fill(value):
        if isinstance(value, str):
            return value.replace("{iccid}", fleet[0])
        if isinstance(value, list):
            return [fill(item) for item in value]
        if isinstance(value, dict):
            return {key: fill(item) for key, item in value.items()}
        return value

    response = onence.call(method, fill(path), fill(body))
    assert response.status_code == 422
    assert "expired" in response.json()["message"]


def test_extension_revives_an_expired_sim(onence, fleet):
    testing.expire_sim(fleet[0])
    assert onence.post("/v1/sims/extension", {"iccids": [fleet[0]]}).status_code == 201
    sim = testing.get_sim(fleet[0])
    assert not sim["expired"]
    assert sim["data_remaining_mb"] == 500
    assert onence.put(f"/v2/sims/{fleet[0]}", {"label": "back"}).status_code == 200


def test_reset_takes_the_sim_offline_for_a_moment(onence, fleet):
    testing.set_connectivity(fleet[0], None)
    assert onence.post(f"/v2/sims/{fleet[0]}/reset").status_code == 201
    status = onence.get(f"/v2/sims/{fleet[0]}/status").json()
    assert status["status"]["description"] == "OFFLINE"
    testing.advance_time(seconds=31)
    onence.reauthenticate()
    status = onence.get(f"/v2/sims/{fleet[0]}/status").json()
    assert status["status"]["description"] in ("ONLINE", "ATTACHED")
    events = onence.get(f"/v2/sims/{fleet[0]}/events").json()
    assert any(event["description"] == "Connectivity reset." for event in events)


def test_flaky_sims_lose_and_regain_connectivity_with_events(onence):
    iccid = testing.seed_fleet(sims=1, days=1, flaky_share=1.0)[0]
    testing.advance_time(seconds=2 * 86400)
    onence.reauthenticate()
    descriptions = [
        event["description"]
        for event in onence.get(f"/v2/sims/{iccid}/events", pageSize=1000).json()
    ]
    assert "Connectivity lost: PDP Context deleted." in descriptions
    assert "Location updated." in descriptions


def test_quota_threshold_and_exhaustion_leave_events_and_dates(onence, fleet):
    OnenceSim.objects.filter(iccid=fleet[0]).update(data_volume=1_000, daily_data_bytes=10**8)
    testing.advance_time(seconds=86400)
    onence.reauthenticate()
    sim = onence.get(f"/v2/sims/{fleet[0]}").json()
    assert sim["quota_status"]["id"] == 2
    assert re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$", sim["quota_status"]["quota_exceeded_date"])
    quota = onence.get(f"/v2/sims/{fleet[0]}/quota/data").json()
    assert quota["status"]["description"] == "EXHAUSTED"
    events = onence.get(f"/v2/sims/{fleet[0]}/events").json()
    assert any(event["event_type"]["description"] == "Quota exhausted" for event in events)


def test_catch_up_is_idempotent_for_the_same_instant(fleet):
    sims = list(OnenceSim.objects.filter(iccid__in=fleet))
    testing.advance_time(seconds=3600)
    catch_up(sims)
    volumes = [sim.data_volume for sim in sims]
    catch_up(list(OnenceSim.objects.filter(iccid__in=fleet)))
    assert [sim.data_volume for sim in OnenceSim.objects.filter(iccid__in=fleet)] == volumes


def test_sim_list_pages_filters_and_sorts(onence, fleet):
    response = onence.get("/v2/sims", page=2, pageSize=2)
    assert response["X-Total-Count"] == "3"
    assert response["X-Total-Pages"] == "2"
    assert response["X-Current-Page"] == "2"
    assert response["X-Count-Per-Page"] == "2"
    assert [sim["iccid"] for sim in response.json()] == fleet[2:]
    imei = testing.get_sim(fleet[1]) and OnenceSim.objects.get(iccid=fleet[1]).imei
    found = onence.get("/v2/sims", q=f"imei:{imei}").json()
    assert [sim["iccid"] for sim in found] == [fleet[1]]
    by_ip = onence.get("/v2/sims", sort="-ip_address").json()
    assert [sim["iccid"] for sim in by_ip] == list(reversed(fleet))


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/v2/sims", {"pageSize": 101}),
        ("/v2/sims", {"page": 0}),
        ("/v2/sims", {"pageSize": "abc"}),
        ("/v2/sims", {"q": "label:x"}),
        ("/v1/orders", {"pageSize": 11}),
    ],
)
def test_paging_limits_are_enforced(onence, fleet, path, params):
    response = onence.get(path, **params)
    assert response.status_code == 400


def test_events_allow_pages_of_1000_but_not_more(onence, fleet):
    assert onence.get(f"/v2/sims/{fleet[0]}/events", pageSize=1000).status_code == 200
    response = onence.get(f"/v2/sims/{fleet[0]}/events", pageSize=1001)
    assert response.status_code == 400
    assert response.json()["error_token"] == "BadRequest"


def test_limits_can_be_set_and_read(onence):
    body = {"dataLimitId": 3, "smsMoLimitId": 1}
    assert onence.post("/v1/sims/limits", body).status_code == 201
    limits = onence.get("/v1/sims/limits").json()
    assert limits["data"] == {"id": 3, "limit": "64", "unit": "MB"}
    assert limits["smsMo"]["limit"] == "10"
    assert onence.get("/v1/sims/smsMO/limits").json() == {"smsMo": limits["smsMo"]}
    assert onence.post("/v1/sims/limits", {"dataLimitId": 99}).status_code == 400


def test_product_order_is_numbered_and_listed(onence):
    body = {"products": [{"productId": 1002, "quantity": 2}], "customer_reference": "PO-7"}
    response = onence.post("/v1/orders", body)
    assert response.status_code == 201
    number = int(response["Location"].rsplit("/", 1)[1])
    orders = onence.get("/v1/orders").json()
    assert [(o["order_number"], o["order_type"]) for o in orders] == [(number, "FIRST_ORDER")]
    assert orders[0]["invoice_amount"] == "33.32"
    bad = {"products": [{"productId": 2001, "quantity": 1}]}
    assert onence.post("/v1/orders", bad).status_code == 400


def test_a_scripted_loss_reads_offline_through_each_sims_own_window(onence, fleet):
    """Polling agrees with the streamed events at every moment: each SIM is OFFLINE from its
    own loss until it is back, not only those already down when the loss was scripted."""
    from datetime import timedelta

    from simulators.onence import clock

    def status(iccid):
        return onence.get(f"/v2/sims/{iccid}/status").json()["status"]["description"]

    steady = OnenceSim.objects.filter(iccid__in=fleet, flaky=False, status="Enabled")
    fleet = list(steady.order_by("iccid").values_list("iccid", flat=True)[:2])
    start = clock.now()
    testing.script_site_loss(
        iccids=fleet, lose_at=start + timedelta(minutes=1), spread_seconds=60, down_seconds=600
    )
    assert status(fleet[0]) != "OFFLINE"  # not yet
    testing.advance_time(seconds=90)
    onence.reauthenticate()
    assert status(fleet[0]) == "OFFLINE"
    assert status(fleet[1]) != "OFFLINE"  # its loss is 30 s away
    testing.advance_time(seconds=60)
    onence.reauthenticate()
    assert (status(fleet[0]), status(fleet[1])) == ("OFFLINE", "OFFLINE")
    testing.advance_time(seconds=660)
    onence.reauthenticate()
    assert "OFFLINE" not in (status(fleet[0]), status(fleet[1]))
