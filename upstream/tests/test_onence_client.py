"""Every OnenceClient operation against the 1NCE simulator over loopback HTTP."""

from datetime import timedelta

import pytest
from django.utils import timezone

from simulators.onence import testing
from upstream.exceptions import UpstreamNotFound, UpstreamRejected
from upstream.onence.formats import BYTES_PER_MB, iccid_with_luhn
from upstream.onence.models import OrderedProduct, SimUpdate

pytestmark = pytest.mark.django_db(transaction=True)

TOPUP_BYTES = 500 * BYTES_PER_MB  # the standard top-up: 500 MB = 524,288,000 bytes


@pytest.fixture
def fleet():
    return testing.seed_fleet(sims=12, days=10)


def test_list_sims_walks_every_page(onence, fleet):
    pages = list(onence.iter_sim_pages(page_size=5))
    assert [len(page.items) for page in pages] == [5, 5, 2]
    assert pages[0].total_pages == 3
    assert pages[0].total_count == 12
    assert sorted(sim.iccid for sim in onence.list_sims(page_size=5)) == sorted(fleet)


def test_get_sim_accepts_the_20_digit_form(onence, fleet):
    sim = onence.get_sim(iccid_with_luhn(fleet[0]))
    assert sim.iccid == fleet[0]
    assert sim.iccid_with_luhn == iccid_with_luhn(fleet[0])
    assert sim.status in {"Enabled", "Disabled"}


def test_unknown_sim_is_not_found(onence, fleet):
    with pytest.raises(UpstreamNotFound):
        onence.get_sim("8988303099999999999")


def test_updates_reach_the_simulator(onence, fleet):
    onence.update_sim(fleet[0], label="pump-7", imei_lock=True)
    assert testing.get_sim(fleet[0])["label"] == "pump-7"
    assert testing.get_sim(fleet[0])["imei_lock"] is True
    onence.update_sims(
        [SimUpdate(iccid=fleet[1], status="Disabled"), SimUpdate(iccid=fleet[2], status="Disabled")]
    )
    assert testing.get_sim(fleet[1])["status"] == "Disabled"
    assert onence.get_sim(fleet[2]).status == "Disabled"


def test_expired_sim_refuses_changes_with_the_upstream_message(onence, fleet):
    testing.expire_sim(fleet[0])
    with pytest.raises(UpstreamRejected) as caught:
        onence.update_sim(fleet[0], label="too late")
    assert caught.value.status_code == 422


def test_quotas_are_exact_to_the_byte(onence, fleet):
    state = testing.get_sim(fleet[0])
    quota = onence.get_data_quota(fleet[0])
    expected_remaining = round(state["data_remaining_mb"] * 1_000_000) * BYTES_PER_MB
    # The simulator renders MB with 6 places; one millionth of a MB is 1.048576 bytes.
    assert abs(quota.remaining_bytes * 1_000_000 - expected_remaining) < 1_000_000
    sms = onence.get_sms_quota(fleet[0])
    assert sms.remaining == state["sms_remaining"]
    assert sms.total == state["sms_total"]


def test_top_up_adds_exactly_500_mb_and_names_its_order(onence, fleet):
    before = onence.get_data_quota(fleet[0])
    receipt = onence.top_up(fleet[0])
    after = onence.get_data_quota(fleet[0])
    assert after.total_bytes == max(before.remaining_bytes, 0) + TOPUP_BYTES
    assert after.last_added_bytes == TOPUP_BYTES
    assert receipt.order_number is not None
    order = onence.get_order(receipt.order_number)
    assert order.order_number == receipt.order_number
    assert fleet[0] in order.iccids


def test_bulk_and_auto_top_up(onence, fleet):
    receipt = onence.top_up_many(fleet[:3])
    assert sorted(onence.get_order(receipt.order_number).iccids) == sorted(fleet[:3])
    onence.set_auto_top_up(fleet[:2], enabled=True)
    assert testing.get_sim(fleet[0])["auto_topup"] is True


def test_usage_days_skip_the_total_row(onence, fleet):
    today = timezone.now().date()
    days = onence.get_usage(fleet[0], start=today - timedelta(days=5), end=today)
    assert 1 <= len(days) <= 6
    assert all(day.date <= today for day in days)
    assert all(day.data_bytes >= 0 and isinstance(day.data_bytes, int) for day in days)
    assert all(day.sms == day.sms_mo + day.sms_mt for day in days)


def test_status_connectivity_events_and_reset(onence, fleet):
    testing.set_connectivity(fleet[0], "ONLINE")
    status = onence.get_sim_status(fleet[0])
    assert status.status == "ONLINE"
    info = onence.get_connectivity_info(fleet[0])
    assert info.requested_at is not None
    onence.reset_connectivity(fleet[0])
    events = list(onence.iter_events(fleet[0], page_size=3))
    assert events
    assert all(event.timestamp is not None and event.event_type for event in events)
    page = onence.get_events_page(fleet[0], page=1, page_size=2)
    assert len(page.items) <= 2


def test_sms_send_get_list_and_cancel(onence, fleet):
    sms_id = onence.send_sms(fleet[0], payload="reboot", source_address="1234")
    assert sms_id is not None
    sms = onence.get_sms(fleet[0], sms_id)
    assert sms.payload == "reboot"
    assert sms.sms_type == "MT"
    assert sms_id in [message.id for message in onence.list_sms(fleet[0], per_page=2)]
    if sms.status == "PENDING":
        onence.cancel_sms(fleet[0], sms_id)


def test_limits(onence, fleet):
    options = onence.list_limit_options("data")
    assert options
    assert all(option.unit == "bytes" for option in options)
    onence.set_limits(data_limit_id=options[0].id)
    limits = onence.get_limits()
    assert limits.data is not None
    assert limits.data.id == options[0].id


def test_orders_and_products(onence, fleet):
    products = onence.list_products()
    assert products
    receipt = onence.create_order(
        products=[OrderedProduct(product_id=products[0].id, quantity=2)],
        customer_reference="bench-42",
    )
    orders = onence.list_orders()
    assert orders
    if receipt.order_number is not None:
        assert receipt.order_number in [order.order_number for order in orders]
