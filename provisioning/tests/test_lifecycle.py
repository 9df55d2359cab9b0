"""Sync and queued life cycles against the PMNL simulator over HTTP, through our client."""

import time
import uuid
from decimal import Decimal
from string import Template

import pytest
from django.utils.dateparse import parse_datetime

from accounts.models import AuditLog
from core.models import DomainEvent
from provisioning import tasks
from provisioning.clients import pmnl_client_for
from provisioning.models import ProvisioningEvent, ProvisioningRequest, Subscriber
from provisioning.tests.conftest import create_body
from simulators.pmnl import state as pmnl_state
from simulators.pmnl.models import PmnlSimSubscriber

pytestmark = pytest.mark.django_db(transaction=True)


def test_synchronous_create_answers_completed_and_mirrors_the_subscriber_with_its_imsi(pmnl, api):
    body = create_body()
    response = api.post("/api/v1/subscribers", body, format="json")
    assert response.status_code == 200, response.content
    answer = response.json()
    assert answer["success"] is True
    assert answer["status"] == "completed"
    assert answer["progress"] == "100%"
    assert answer["data"]["request_id"] == answer["request_id"]
    row = Subscriber.objects.get(iccid=body["iccid"])
    upstream = pmnl.get_subscriber(client_id="fleetops-pmnl", iccid=body["iccid"])
    assert upstream is not None and row.imsi == upstream["imsi"] and len(row.imsi) == 15
    assert row.max_credit == 50 and row.service_profile == 7


def test_read_by_iccid_and_msisdn_reports_cached_and_mirrors(pmnl, api, organization):
    [iccid] = pmnl.seed_subscribers(client_id="fleetops-pmnl", count=1)
    msisdn = pmnl.get_subscriber(client_id="fleetops-pmnl", iccid=iccid)["msisdn"]
    first = api.get(f"/api/v1/subscribers/{iccid}")
    assert first.status_code == 200, first.content
    first = first.json()
    second = api.get(f"/api/v1/subscribers/{msisdn}").json()
    assert first["success"] is True
    assert first["data"]["msisdn"] == msisdn and first["data"]["imsi"]
    assert first["status"] == "completed" and first["reason"] == "OK"
    assert first["cached"] is False
    assert second["cached"] is True
    assert second["data"]["iccid"] == iccid
    assert Subscriber.objects.get(iccid=iccid).organization == organization


# A read's answer as recorded: PMNL's body (its key order too) in our envelope, byte for byte.
RECORDED_READ = Template(
    '{"success":true,"data":{"iccid":"$iccid","imsi":"$imsi","msisdn":"$msisdn",'
    '"aor":{"domain_id":101,"auth_password":"demo-pass1","auth_username":"+$msisdn"},'
    '"apn":{"name":"data.test.net","speed_up":1024,"speed_down":2048},'
    '"credit":{"max_credit":50.0},"cust_id":"9123456","contract":{"duration":12,'
    '"contract_start":"$contract_start","service_package":1234567,"service_profile":7},'
    '"admin_info":"Demo subscriber","block_data_usage":{"scope":null,"enabled":false,'
    '"block_until":null},"subscriber_state":true,"network_access_list":{"zone1":true,'
    '"zone2":false,"zone3":false,"zone4":false,"zone5":false,"zoneNL":true}},'
    '"status":"completed","reason":"OK","request_id":"$request_id","cached":false,'
    '"meta":{"timestamp":"$timestamp","request_id":"$meta_request_id"}}'
)


def test_read_answers_as_recorded_audits_and_mirrors(pmnl, api, organization, provisioner):
    [iccid] = pmnl.seed_subscribers(client_id="fleetops-pmnl", count=1)
    upstream = pmnl.get_subscriber(client_id="fleetops-pmnl", iccid=iccid)
    response = api.get(f"/api/v1/subscribers/{iccid}")
    assert response.status_code == 200, response.content
    answer = response.json()
    uuid.UUID(answer["request_id"])  # PMNL's, passed through
    assert response.content.decode() == RECORDED_READ.substitute(
        iccid=iccid,
        msisdn=upstream["msisdn"],
        imsi=upstream["imsi"],
        contract_start=upstream["contract"]["contract_start"],
        request_id=answer["request_id"],
        timestamp=answer["meta"]["timestamp"],
        meta_request_id=answer["meta"]["request_id"],
    )
    entry = AuditLog.objects.get()
    assert (
        entry.operation,
        entry.resource_type,
        entry.resource_id,
        entry.status,
        entry.response_status,
        entry.request_body,
        entry.error_message,
        entry.user,
        entry.organization,
    ) == ("READ", "subscriber", iccid, "success", 200, None, "", provisioner, organization)
    # The request's own context: our request id, the caller's address.
    assert (entry.request_id, entry.ip_address) == (answer["meta"]["request_id"], "127.0.0.1")
    row = Subscriber.objects.get(iccid=iccid)
    assert {
        field: getattr(row, field)
        for field in (
            "organization",
            "msisdn",
            "imsi",
            "cust_id",
            "admin_info",
            "subscriber_state",
            "aor_domain_id",
            "aor_username",
            "apn",
            "network_access_list",
            "block_data_usage",
            "service_package",
            "service_profile",
            "duration",
            "contract_start",
            "max_credit",
            "created_by",
        )
    } == {
        "organization": organization,
        "msisdn": upstream["msisdn"],
        "imsi": upstream["imsi"],
        "cust_id": "9123456",
        "admin_info": "Demo subscriber",
        "subscriber_state": True,
        "aor_domain_id": 101,
        "aor_username": f"+{upstream['msisdn']}",
        "apn": {"name": "data.test.net", "speed_up": 1024, "speed_down": 2048},
        "network_access_list": upstream["network_access_list"],
        "block_data_usage": {"enabled": False, "block_until": None, "scope": None},
        "service_package": 1234567,
        "service_profile": 7,
        "duration": 12,
        "contract_start": parse_datetime(upstream["contract"]["contract_start"]),
        "max_credit": Decimal("50.00"),
        "created_by": None,
    }
    assert row.synced_at is not None


def test_read_of_a_mirrored_subscriber_refreshes_its_row_with_what_pmnl_answers(
    pmnl, api, organization, django_assert_num_queries
):
    [iccid] = pmnl.seed_subscribers(client_id="fleetops-pmnl", count=1)
    msisdn = pmnl.get_subscriber(client_id="fleetops-pmnl", iccid=iccid)["msisdn"]
    api.get(f"/api/v1/subscribers/{iccid}")
    before = Subscriber.objects.get(iccid=iccid)
    # Changed at PMNL behind our back (another of the account's clients, say).
    upstream = PmnlSimSubscriber.objects.get(iccid=iccid)
    pmnl_state.update(upstream, "state", {"subscriber_state": False})
    pmnl_state.update(upstream, "credit", {"max_credit": 12.34})

    # The PMNL account and the row (before PMNL is called), then one transaction: the row's
    # update and the audit entry. (The caller's organization is loaded with the user here.)
    with django_assert_num_queries(6):
        response = api.get(f"/api/v1/subscribers/{msisdn}")
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert data["subscriber_state"] is False and data["credit"] == {"max_credit": 12.34}
    row = Subscriber.objects.get(iccid=iccid)
    assert (row.pk, row.subscriber_state, row.max_credit) == (before.pk, False, Decimal("12.34"))
    assert row.synced_at > before.synced_at and row.updated_at > before.updated_at
    assert list(AuditLog.objects.order_by("id").values_list("operation", "resource_id")) == [
        ("READ", iccid),
        ("READ", msisdn),
    ]


def test_queued_create_answers_202_and_completes_through_polling(pmnl, api):
    body = create_body()
    response = api.post("/api/v1/subscribers?queue_request=true", body, format="json")
    assert response.status_code == 202, response.content
    answer = response.json()
    assert answer["status"] == "queued" and answer["progress"] is None
    assert answer["request_info"]
    assert not Subscriber.objects.filter(iccid=body["iccid"]).exists()
    deadline = time.monotonic() + 5
    status = "queued"
    while status not in ("completed", "failed") and time.monotonic() < deadline:
        time.sleep(0.2)
        tasks.poll_pending_requests()
        status = api.get(f"/api/v1/requests/{answer['request_id']}").json()["status"]
    assert status == "completed"
    request = ProvisioningRequest.objects.get(pk=answer["request_id"])
    assert request.completed_at is not None and request.polls >= 1
    assert Subscriber.objects.get(iccid=body["iccid"]).imsi
    event = ProvisioningEvent.objects.get(request=request)
    assert event.kind == "provisioning.request_completed"
    published = DomainEvent.objects.get(name="provisioning.request.completed")
    assert published.data["request_id"] == str(request.id)
    assert published.organization_id == request.organization_id


def test_queued_create_that_pmnl_fails_records_failure_event_and_no_mirror(pmnl, api):
    pmnl.set_faults(queue_seconds=0.1, process_seconds=0.1, fail_rate=1.0)
    body = create_body()
    answer = api.post("/api/v1/subscribers?queue_request=true", body, format="json").json()
    time.sleep(0.4)
    tasks.poll_pending_requests()
    request = ProvisioningRequest.objects.get(pk=answer["request_id"])
    assert request.status == "failed"
    assert request.error_message
    assert not Subscriber.objects.filter(iccid=body["iccid"]).exists()
    assert ProvisioningEvent.objects.get(request=request).kind == "provisioning.request_failed"
    # A second poll neither changes it nor writes a second event.
    tasks.poll_pending_requests()
    assert ProvisioningEvent.objects.filter(request=request).count() == 1
    assert DomainEvent.objects.filter(name="provisioning.request.failed").count() == 1


def test_updates_each_aspect_and_delete(pmnl, api):
    body = create_body()
    api.post("/api/v1/subscribers", body, format="json")
    iccid = body["iccid"]
    changes = {
        "aor": {"domain_id": 7, "auth_username": "user1", "auth_password": "newpass1"},
        "state": {"subscriber_state": False},
        "apn": {"name": "iot.example.nl", "speed_up": "max", "speed_down": 512},
        "network-access-list": {
            "zoneNL": True,
            "zone1": False,
            "zone2": False,
            "zone3": False,
            "zone4": False,
            "zone5": True,
        },
        "credit": {"max_credit": 12.5},
        "block-data-usage": {
            "enabled": True,
            "block_until": "2030-01-01T00:00:00+00:00",
            "scope": "outside_eu_regulation",
        },
    }
    for aspect, change in changes.items():
        response = api.patch(f"/api/v1/subscribers/{iccid}/{aspect}", change, format="json")
        assert response.status_code == 200, (aspect, response.content)
        assert response.json()["status"] == "completed"
    row = Subscriber.objects.get(iccid=iccid)
    assert row.aor_domain_id == 7 and row.subscriber_state is False
    assert row.apn["speed_up"] == "max" and row.network_access_list["zone5"] is True
    assert float(row.max_credit) == 12.5 and row.block_data_usage["enabled"] is True
    upstream = pmnl.get_subscriber(client_id="fleetops-pmnl", iccid=iccid)
    assert upstream["aor"]["auth_password"] == "newpass1"
    response = api.delete(f"/api/v1/subscribers/{iccid}")
    assert response.status_code == 200, response.content
    assert not Subscriber.objects.filter(iccid=iccid).exists()
    assert pmnl.get_subscriber(client_id="fleetops-pmnl", iccid=iccid) is None
    assert api.get(f"/api/v1/subscribers/{iccid}").status_code == 404


def test_create_of_existing_subscriber_is_409(pmnl, api):
    body = create_body()
    api.post("/api/v1/subscribers", body, format="json")
    Subscriber.objects.all().delete()  # PMNL still has it: its 409 reaches the caller
    response = api.post("/api/v1/subscribers", body, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "CONFLICT"


def test_demo_subscribers_are_created_through_pmnl(pmnl, organization):
    from core.context import Context
    from provisioning import services

    created = services.seed_demo_subscribers(
        organization=organization, count=4, cust_id="9123456", context=Context.system()
    )
    assert created == 4
    assert Subscriber.objects.filter(organization=organization).count() == 3  # one is queued
    # Seed 003's read examples answer on a demo as written.
    for identifier in ("31658011998", "3197058010199", "89312400000001715969"):
        answer = pmnl_client_for(organization=organization).read_subscriber(identifier)
        assert answer.data["cust_id"] == "9123456"
    assert ProvisioningRequest.objects.filter(queued=True, status="queued").count() == 1
    again = services.seed_demo_subscribers(
        organization=organization, count=4, cust_id="9123456", context=Context.system()
    )
    assert again == 0  # mirrored ones skipped; the queued one is refused while it is open


def test_queued_create_enqueues_its_poll_which_follows_until_terminal(pmnl, api, celery_broker):
    pmnl.set_faults(queue_seconds=2.0, process_seconds=1.0)
    answer = api.post("/api/v1/subscribers?queue_request=true", create_body(), format="json").json()
    assert ("provisioning.tasks.poll_request", [answer["request_id"]]) in celery_broker.queued()
    celery_broker.purge()
    assert tasks.poll_request(answer["request_id"]) in ("queued", "processing")
    assert celery_broker.queued() == [("provisioning.tasks.poll_request", [answer["request_id"]])]
    celery_broker.purge()
    time.sleep(3.2)
    assert tasks.poll_request(answer["request_id"]) == "completed"
    # Terminal: no further poll (the outcome event's dispatch is all that is queued).
    assert [name for name, _ in celery_broker.queued()] == ["core.tasks.dispatch_events"]


def test_poll_delay_grows_and_is_capped(settings):
    settings.PMNL_POLL_INTERVAL_SECONDS = 1.0
    assert [tasks.poll_delay(n) for n in range(3)] == [1.0, 1.5, 2.25]
    assert tasks.poll_delay(50) == tasks.MAX_POLL_DELAY_SECONDS
