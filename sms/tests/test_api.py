"""SMS endpoints without the upstream: validation, auth, tenancy, lists."""

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from core.tests.api import GetObjectCases, NestedListObjectsCases, assert_error_envelope
from sims.models import LimitSet, SimStatus
from sims.tests.factories import SimFactory
from sms.encoding import gsm7_septets
from sms.models import SmsDirection, SmsMessage, SmsStatus
from sms.services import validate_message

pytestmark = pytest.mark.django_db


def make_sms(sim, **kwargs):
    kwargs.setdefault("direction", SmsDirection.MT)
    kwargs.setdefault("status", SmsStatus.DELIVERED)
    return SmsMessage.objects.create(
        organization=sim.organization, sim=sim, message=kwargs.pop("message", "hello"), **kwargs
    )


class TestSmsDetailEndpoint(GetObjectCases):
    def make_object(self, organization):
        return make_sms(SimFactory(organization=organization))

    def detail_url(self, obj):
        return reverse("sms-api:sms-detail", kwargs={"iccid": obj.sim.iccid, "id": obj.sms_id})

    def test_detail_by_numeric_id_has_timestamps(self, member, obj):
        url = reverse("sms-api:sms-detail", kwargs={"iccid": obj.sim.iccid, "id": obj.pk})
        data = self.client_as(member).get(url).json()["data"]
        assert data["sms_id"] == obj.sms_id
        assert {"created_at", "sent_at", "delivered_at", "failure_reason"} <= set(data)


class TestSmsListEndpoint(NestedListObjectsCases):
    list_queries = 3  # the SIM, the count, the page

    def make_objects(self, organization, count):
        sim = SimFactory(organization=organization)
        return [make_sms(sim) for _ in range(count)]

    def list_url(self, objects=()):
        return reverse("sms-api:sms-list", kwargs={"iccid": objects[0].sim.iccid})


def test_list_filters_orders_and_pages(operator_client, organization, django_assert_num_queries):
    sim = SimFactory(organization=organization)
    now = timezone.now()
    for day in range(6):
        make_sms(
            sim,
            direction=SmsDirection.MO if day % 2 else SmsDirection.MT,
            status=SmsStatus.PENDING if day == 0 else SmsStatus.DELIVERED,
            created_at=now - timezone.timedelta(days=day),
        )
    make_sms(SimFactory(organization=organization))  # another SIM's
    url = f"/api/v1/sims/{sim.iccid}/sms"
    with django_assert_num_queries(3):
        body = operator_client.get(url, {"page_size": 4}).json()
    assert body["pagination"]["total"] == 6 and len(body["data"]) == 4
    dates = [row["created_at"] for row in body["data"]]
    assert dates == sorted(dates, reverse=True)
    mo = operator_client.get(url, {"direction": "MO"}).json()["data"]
    assert len(mo) == 3 and {row["direction"] for row in mo} == {"MO"}
    pending = operator_client.get(url, {"status": "pending"}).json()["data"]
    assert len(pending) == 1
    since = (now - timezone.timedelta(days=2)).date().isoformat()
    recent = operator_client.get(url, {"start_date": since}).json()["data"]
    assert len(recent) == 3
    upto = operator_client.get(url, {"end_date": since}).json()["data"]
    assert len(upto) == 4  # the whole end day counts
    bad = operator_client.get(url, {"start_date": "yesterday"})
    assert bad.status_code == 422


def test_end_date_on_the_last_day_of_the_calendar_is_422(operator_client, organization):
    sim = SimFactory(organization=organization)
    make_sms(sim)
    url = f"/api/v1/sims/{sim.iccid}/sms"
    response = operator_client.get(url, {"end_date": "9999-12-31"})
    assert response.status_code == 422
    assert_error_envelope(response.json(), "VALIDATION_ERROR")
    assert response.json()["error"]["details"]["errors"][0]["loc"] == ["end_date"]
    # The day before still counts whole; the extremes of date-times are plain filters.
    assert len(operator_client.get(url, {"end_date": "9999-12-30"}).json()["data"]) == 1
    for params in (
        {"start_date": "9999-12-31"},
        {"end_date": "9999-12-31T23:59:59-05:00"},
        {"start_date": "0001-01-01T00:00:00+05:00"},
    ):
        assert operator_client.get(url, params).status_code == 200, params


def test_list_of_other_organizations_sim_is_404(operator_client, other_organization):
    sim = SimFactory(organization=other_organization)
    make_sms(sim)
    response = operator_client.get(f"/api/v1/sims/{sim.iccid}/sms")
    assert response.status_code == 404
    assert_error_envelope(response.json(), "NOT_FOUND")


def test_viewer_cannot_send_or_cancel(client_for, organization):
    viewer = client_for(Role.VIEWER)
    sms = make_sms(SimFactory(organization=organization), status=SmsStatus.PENDING)
    url = f"/api/v1/sims/{sms.sim.iccid}/sms"
    assert viewer.post(url, {"message": "hi"}).status_code == 403
    assert viewer.delete(f"{url}/{sms.sms_id}").status_code == 403
    assert SmsMessage.objects.get().status == SmsStatus.PENDING


def test_cancel_of_other_organizations_message_is_404(operator_client, other_organization):
    sms = make_sms(SimFactory(organization=other_organization), status=SmsStatus.PENDING)
    response = operator_client.delete(f"/api/v1/sims/{sms.sim.iccid}/sms/{sms.sms_id}")
    assert response.status_code == 404


def test_cancelling_a_delivered_message_is_409(operator_client, organization):
    sms = make_sms(SimFactory(organization=organization), status=SmsStatus.DELIVERED)
    response = operator_client.delete(f"/api/v1/sims/{sms.sim.iccid}/sms/{sms.sms_id}")
    assert response.status_code == 409
    assert_error_envelope(response.json(), "CONFLICT")


@pytest.mark.parametrize(
    ("message", "encoding", "ok"),
    [
        ("A" * 160, "GSM7", True),
        ("A" * 161, "GSM7", False),
        ("€" * 80, "GSM7", True),  # extension table: two septets each
        ("€" * 81, "GSM7", False),
        ("Grüße àè ΔΩ @£$¥ {}[]~|^\\", "GSM7", True),
        ("Ça va? ć", "GSM7", False),  # ć is not in GSM 03.38
        ("Reboot 🚀", "GSM7", False),
        ("Reboot 🚀", "UCS2", True),
        ("ж" * 70, "UCS2", True),
        ("ж" * 71, "UCS2", False),
        ("🚀" * 36, "UCS2", False),  # 72 UTF-16 units
        ("", "GSM7", False),
    ],
)
def test_message_validation(operator_client, organization, message, encoding, ok):
    if ok:
        validate_message(message=message, encoding=encoding)  # does not raise
        return
    sim = SimFactory(organization=organization)
    response = operator_client.post(
        f"/api/v1/sims/{sim.iccid}/sms", {"message": message, "encoding": encoding}, format="json"
    )
    assert response.status_code == 422, response.content
    assert response.json()["error"]["details"]["errors"][0]["loc"] == ["message"]
    assert not SmsMessage.objects.exists()


def test_gsm7_extension_characters_count_double():
    assert gsm7_septets("a€{") == 5


def test_disabled_sim_cannot_receive_sms(operator_client, organization):
    sim = SimFactory(organization=organization, status=SimStatus.DISABLED)
    response = operator_client.post(f"/api/v1/sims/{sim.iccid}/sms", {"message": "hi"})
    assert response.status_code == 409
    assert_error_envelope(response.json(), "CONFLICT")


@pytest.mark.parametrize(
    ("global_limits", "sim_limits"),
    [
        ({"sms_blocked_destinations": ["88236"]}, None),
        (None, {"sms_blocked_destinations": ["882"]}),
        ({"sms_allowed_destinations": ["49"]}, None),
        ({"sms_allowed_destinations": ["88236"]}, {"sms_allowed_destinations": ["49"]}),
    ],
)
def test_destination_limits_refuse_the_send(
    operator_client, organization, global_limits, sim_limits
):
    sim = SimFactory(organization=organization)  # MSISDN 88236...
    if global_limits:
        LimitSet.objects.create(organization=organization, **global_limits)
    if sim_limits:
        LimitSet.objects.create(organization=organization, sim=sim, **sim_limits)
    response = operator_client.post(f"/api/v1/sims/{sim.iccid}/sms", {"message": "hi"})
    assert response.status_code == 422, response.content
    assert response.json()["error"]["details"]["errors"][0]["loc"] == ["destination"]
    assert not SmsMessage.objects.exists()


def test_offsets_postgresql_refuses_are_read_in_utc_not_a_500(operator_client, organization):
    """Schemathesis found it: ``+17:49`` is valid ISO 8601 but out of PostgreSQL's range."""
    sim = SimFactory(organization=organization)
    response = operator_client.get(
        f"/api/v1/sims/{sim.iccid}/sms",
        {"start_date": "6120-06-28T02:14:34+08:36", "end_date": "1367-04-12T22:19:37+17:49"},
    )
    assert response.status_code == 200, response.content
    assert response.json()["data"] == []
