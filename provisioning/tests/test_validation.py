"""Every validation rule of seed 003, valid and invalid: 422 with the field named in
``error.details.errors`` (loc/msg/type), nothing written."""

import copy

import pytest

from core.errors import InvalidInput
from provisioning import validation
from provisioning.models import ProvisioningRequest, Subscriber
from provisioning.tests.conftest import create_body

pytestmark = pytest.mark.django_db

DROP = object()


def with_value(body: dict, loc: tuple, value) -> dict:
    body = copy.deepcopy(body)
    target = body
    for name in loc[:-1]:
        target = target[name]
    if value is DROP:
        target.pop(loc[-1])
    else:
        target[loc[-1]] = value
    return body


# (path in the body, invalid values, valid values)
CREATE_RULES = [
    (
        ("iccid",),
        [
            "89311234",
            "8831240000000123456",
            "893124000000012345678",
            8931,
            "89312400000001234567\n",  # ``$`` alone would pass a trailing newline
            "8931" + "\u0664" * 16,  # digits of another script are not PMNL's digits
        ],
        ["89312400000001234567"],
    ),
    (
        ("msisdn",),
        ["31512345678", "3161234567", "3197012345678"[:-1], 31612345678, "31612345678\n"],
        ["31612345678", "3197012345678"],
    ),
    (
        ("cust_id",),
        ["8123456", "912345", "91234567", "9a23456", "9123456\n"],
        ["9123456", "9000000"],
    ),
    (("admin_info",), ["x" * 25, None], ["x" * 24, ""]),
    (("aor", "domain_id"), [0, 100000, "101", True], [1, 99999]),
    (
        ("aor", "auth_username"),
        ["abc", "a" * 17, "user name", "user_1", "user1\n"],
        ["+31612345678", "a.b@c*#-1"],
    ),
    (("aor", "auth_password"), ["abc", "p" * 17, "pass word"], ["secure-pass", "abcd"]),
    (
        ("apn", "name"),
        ["Data.Test.Net", "a.b", "data", "data.test.n", "data.test.net\n"],
        ["data.test.net", "iot.example.nl"],
    ),
    (("apn", "speed_up"), [0, -5, "fast", 1.5], [1, 1024, "max"]),
    (("apn", "speed_down"), [0, "MAX"], [2048, "max"]),
    (("subscriber_state",), ["true", 1, None], [True, False]),
    (("network_access_list", "zoneNL"), [DROP, "yes"], [False]),
    (("network_access_list", "zone1"), [DROP], [True]),
    (("network_access_list", "zone2"), [DROP], [True]),
    (("network_access_list", "zone3"), [DROP], [True]),
    (("network_access_list", "zone4"), [DROP], [True]),
    (("network_access_list", "zone5"), [DROP, 0], [True]),
    (("contract", "service_package"), [123456, 12345678, "1234567"], [1234567, 9999999]),
    (("contract", "service_profile"), [-1, 8, "7"], [0, 7]),
    (("contract", "duration"), [2, 6, 72, -1], [0, 1, 12, 18, 24, 36, 48, 60]),
    (("credit", "max_credit"), [-0.01, 100000, 99999.999, "50"], [0, 0.0, 50.5, 99999.99]),
]
INVALID = [(loc, bad) for loc, bads, _ in CREATE_RULES for bad in bads]
VALID = [(loc, good) for loc, _, goods in CREATE_RULES for good in goods]


def error_locs(exc: InvalidInput) -> list[list]:
    return [error["loc"] for error in exc.errors]


@pytest.mark.parametrize(("loc", "value"), INVALID, ids=lambda v: str(v)[:20])
def test_invalid_value_is_refused_with_its_location(loc, value):
    with pytest.raises(InvalidInput) as caught:
        validation.validate_create(with_value(create_body(), loc, value))
    assert ["body", *loc] in error_locs(caught.value)
    for error in caught.value.errors:
        assert error["msg"] and error["type"]


@pytest.mark.parametrize(("loc", "value"), VALID, ids=lambda v: str(v)[:20])
def test_valid_value_passes(loc, value):
    validation.validate_create(with_value(create_body(), loc, value))


@pytest.mark.parametrize(
    "field",
    [
        "iccid",
        "msisdn",
        "cust_id",
        "admin_info",
        "aor",
        "subscriber_state",
        "network_access_list",
        "contract",
        "credit",
    ],
)
def test_required_field_missing(field):
    with pytest.raises(InvalidInput) as caught:
        validation.validate_create(with_value(create_body(), (field,), DROP))
    assert {"loc": ["body", field], "msg": "field required", "type": "value_error.missing"} in (
        caught.value.errors
    )


@pytest.mark.parametrize("profile", [1, 3, 5, 7])
def test_apn_is_required_for_data_profiles(profile):
    body = create_body(apn=None)
    body["contract"]["service_profile"] = profile
    with pytest.raises(InvalidInput) as caught:
        validation.validate_create(body)
    assert error_locs(caught.value) == [["body", "apn"]]
    with pytest.raises(InvalidInput) as caught:
        validation.validate_create(with_value(body, ("apn",), DROP))
    assert error_locs(caught.value) == [["body", "apn"]]


@pytest.mark.parametrize("profile", [0, 2, 4, 6])
def test_apn_may_be_null_or_absent_for_profiles_without_data(profile):
    body = create_body(apn=None)
    body["contract"]["service_profile"] = profile
    assert validation.validate_create(body)["apn"] is None
    validation.validate_create(with_value(body, ("apn",), DROP))


def test_messages_follow_seed_003():
    body = with_value(create_body(), ("iccid",), "123")
    body = with_value(body, ("apn", "speed_up"), 0)
    body = with_value(body, ("contract", "duration"), 5)
    with pytest.raises(InvalidInput) as caught:
        validation.validate_create(body)
    assert caught.value.errors == [
        {
            "loc": ["body", "iccid"],
            "msg": "string does not match regex '^8931\\d{16}$'",
            "type": "value_error.str.regex",
        },
        {
            "loc": ["body", "apn", "speed_up"],
            "msg": "Speed must be at least 1 kbps",
            "type": "value_error",
        },
        {"loc": ["body", "contract", "duration"], "msg": "Invalid duration", "type": "value_error"},
    ]


@pytest.mark.parametrize(
    ("scope", "valid"),
    [("outside_eu_regulation", True), ("all", True), ("eu", False), (None, False)],
)
def test_block_data_usage_scope_values(scope, valid):
    body = {"enabled": True, "block_until": "2030-01-01T00:00:00Z", "scope": scope}
    if valid:
        assert validation.validate_aspect("block-data-usage", body)["scope"] == scope
    else:
        with pytest.raises(InvalidInput) as caught:
            validation.validate_aspect("block-data-usage", body)
        assert error_locs(caught.value) == [["body", "scope"]]


def test_block_data_usage_disabled_needs_no_scope_and_checks_the_timestamp():
    assert validation.validate_aspect("block-data-usage", {"enabled": False})
    with pytest.raises(InvalidInput) as caught:
        validation.validate_aspect(
            "block-data-usage", {"enabled": False, "block_until": "tomorrow"}
        )
    assert error_locs(caught.value) == [["body", "block_until"]]


@pytest.mark.parametrize(
    ("aspect", "body", "loc"),
    [
        (
            "aor",
            {"domain_id": 0, "auth_username": "user1", "auth_password": "pass1"},
            ["body", "domain_id"],
        ),
        ("state", {"subscriber_state": "off"}, ["body", "subscriber_state"]),
        ("apn", {"name": "x", "speed_up": 1, "speed_down": 1}, ["body", "name"]),
        ("network-access-list", {"zoneNL": True}, ["body", "zone1"]),
        ("credit", {"max_credit": 100000}, ["body", "max_credit"]),
        ("block-data-usage", {"scope": "all"}, ["body", "enabled"]),
    ],
)
def test_aspect_rules(aspect, body, loc):
    with pytest.raises(InvalidInput) as caught:
        validation.validate_aspect(aspect, body)
    assert loc in error_locs(caught.value)


@pytest.mark.parametrize("value", ["89312400000001234567", "31612345678", "3197012345678"])
def test_identifier_accepts_iccid_and_both_msisdn_forms(value):
    assert validation.validate_identifier(value) in ("iccid", "msisdn")


@pytest.mark.parametrize(
    "value",
    [
        "8988228666000000001",
        "3161234567",
        "abc",
        "3197012345",
        "89312400000001234567\n",
        "316" + "\u0968" * 8,
    ],
)
def test_identifier_refuses_other_forms(value):
    with pytest.raises(InvalidInput) as caught:
        validation.validate_identifier(value)
    assert error_locs(caught.value) == [["path", "id"]]


def test_api_answers_422_in_the_envelope_and_writes_nothing(operator_client):
    body = with_value(create_body(), ("contract", "duration"), 5)
    response = operator_client.post("/api/v1/subscribers", body, format="json")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert error["details"]["errors"] == [
        {"loc": ["body", "contract", "duration"], "msg": "Invalid duration", "type": "value_error"}
    ]
    assert not Subscriber.objects.exists() and not ProvisioningRequest.objects.exists()


@pytest.mark.parametrize("identifier", ["12345", "89312400000001234567%0A"])
def test_api_path_identifier_422(operator_client, identifier):
    response = operator_client.get(f"/api/v1/subscribers/{identifier}")
    assert response.status_code == 422
    assert response.json()["error"]["details"]["errors"][0]["loc"] == ["path", "id"]


def test_legacy_facade_uses_the_same_rules(operator_client):
    response = operator_client.post(
        "/api/pmnl/createsub",
        {"Iccid": "123", "MsIsdn": "31612345678"},
        format="json",
    )
    assert response.status_code == 422
    locs = [e["loc"] for e in response.json()["error"]["details"]["errors"]]
    assert ["body", "iccid"] in locs and ["body", "aor"] in locs
