"""v1 and v2 shapes (examples from the 1NCE contract) map into the same dataclasses."""

from datetime import UTC, date, datetime
from decimal import Decimal

from upstream.onence import parsers

ICCID = "8988303000123456789"


def test_sim_v2_example_converts_quota_to_bytes_and_dates_to_utc():
    sim = parsers.parse_sim(
        {
            "iccid": ICCID,
            "imsi": "901405100000018",
            "msisdn": "882285100000018",
            "status": "Enabled",
            "activation_date": "2018-03-09T07:59:09.000+0000",
            "current_quota": Decimal("500"),
            "quota_status": {"id": 0, "description": "More than 20% available"},
            "current_quota_SMS": 250,
            "label": "DX-137-B12",
        }
    )
    assert sim.iccid == ICCID
    assert sim.iccid_with_luhn == ICCID + "4"
    assert sim.current_quota_bytes == 524_288_000
    assert sim.current_quota_sms == 250
    assert sim.quota_status.level == 0
    assert sim.activation_date == datetime(2018, 3, 9, 7, 59, 9, tzinfo=UTC)


def test_usage_skips_the_total_row_and_maps_sms_directions():
    days = parsers.parse_usage(
        {
            "stats": [
                {
                    "date": "2021-06-30T00:00:00.000Z",
                    "data": {
                        "volume": "0.002803",
                        "volume_rx": "0.001482",
                        "volume_tx": "0.001321",
                    },
                    "sms": {"volume": "3", "volume_rx": "2", "volume_tx": "1"},
                },
                {"date": "TOTAL", "data": {"volume": "0.002803"}, "sms": {"volume": "3"}},
            ]
        }
    )
    assert len(days) == 1
    day = days[0]
    assert day.date == date(2021, 6, 30)
    assert (day.data_bytes, day.data_rx_bytes, day.data_tx_bytes) == (2939, 1554, 1385)
    assert (day.sms, day.sms_mo, day.sms_mt) == (3, 2, 1)


def test_quota_v2_and_v1_shapes_map_to_one_model():
    v2 = parsers.parse_data_quota(
        {
            "volume": Decimal("435.787951"),
            "total_volume": 500,
            "status": {"id": 1, "description": "ACTIVE"},
            "expiry_date": "2029-01-01T00:00:00.000Z",
            "threshold_percentage": 20,
        }
    )
    v1 = parsers.parse_data_quota(
        {"volume": Decimal("435.787951"), "total_volume": 500, "expiry_date": "2029-01-01 00:00:00"}
    )
    assert v2.remaining_bytes == v1.remaining_bytes == 456_956_787
    assert v2.total_bytes == 524_288_000
    assert v2.status == "ACTIVE"
    assert v1.expiry_date == v2.expiry_date == datetime(2029, 1, 1, tzinfo=UTC)


def test_events_v2_nested_and_v1_flat_map_to_one_model():
    v2 = parsers.parse_event(
        {
            "id": 7,
            "event_type": {"id": 4, "description": "Delete PDP Context"},
            "timestamp": "2023-03-01T12:07:09.000Z",
            "alert": True,
            "event_severity": {"id": 0, "description": "INFO"},
            "event_source": {"id": 0, "description": "Network"},
            "sim": {"id": 110, "iccid": ICCID, "msisdn": "456831700000000"},
            "imsi": {"id": 110, "imsi": "901430000000114"},
            "endpoint": {"id": 1, "imei": "869951030000000"},
        }
    )
    v1 = parsers.parse_event(
        {
            "timestamp": "2018-05-07T14:08:05.000+0000",
            "event_type": "Status of SIM changed from 'Issued' to 'Activated'",
            "iccid": ICCID,
            "imsi": "901405100000018",
            "event_severity": "Info",
        }
    )
    assert (v2.event_type, v2.event_type_id, v2.severity, v2.source) == (
        "Delete PDP Context",
        4,
        "INFO",
        "Network",
    )
    assert (v2.iccid, v2.imsi, v2.imei, v2.alert) == (
        ICCID,
        "901430000000114",
        "869951030000000",
        True,
    )
    assert (v1.iccid, v1.imsi, v1.severity, v1.event_type_id) == (
        ICCID,
        "901405100000018",
        "Info",
        None,
    )


def test_sms_v2_objects_and_v1_strings():
    sms = parsers.parse_sms(
        {
            "id": 589,
            "status": {"id": 4, "description": "DELIVERED"},
            "sms_type": {"id": 1, "description": "MT"},
            "retry_count": "1",
            "submit_date": "2019-09-29T07:33:15.000Z",
            "source_address_type": {"id": 161, "description": "National"},
        }
    )
    assert (sms.id, sms.status, sms.status_id, sms.sms_type) == (589, "DELIVERED", 4, "MT")
    assert sms.retry_count == 1
    assert sms.source_address_type == 161


def test_limits_are_in_our_units():
    limits = parsers.parse_limits(
        {
            "data": {"id": 1, "limit": "16", "unit": "MB"},
            "smsMt": {"id": 2, "limit": "10", "unit": "SMS"},
        }
    )
    assert limits.data.amount == 16 * 1_048_576
    assert limits.data.unit == "bytes"
    assert (limits.sms_mt.amount, limits.sms_mt.unit) == (10, "sms")
    assert limits.sms_mo is None


def test_status_v2_with_legacy_location_timestamp():
    status = parsers.parse_sim_status(
        {
            "status": {"description": "ONLINE"},
            "data_traffic_limit_state": {"description": "NOT_REACHED"},
            "services": ["GPRS", "SMS"],
            "location": {
                "iccid": ICCID,
                "imsi": "901439999999999",
                "last_updated": "2023-08-06 09:59:05",
                "operator": {"id": 2, "name": "T-Mobile", "mnc": "01", "country": {"id": 74}},
                "country": {"name": "Germany", "mcc": "262", "iso_code": "de"},
            },
            "pdp_contexts": [{"pdp_context_id": "92415", "rat_type": {"description": "NB-IoT"}}],
        }
    )
    assert status.status == "ONLINE"
    assert status.data_traffic_limit_reached is False
    assert status.location.last_updated == datetime(2023, 8, 6, 9, 59, 5, tzinfo=UTC)
    assert (status.location.operator_name, status.location.country_iso) == ("T-Mobile", "de")
    assert status.pdp_contexts[0].rat_type == "NB-IoT"
