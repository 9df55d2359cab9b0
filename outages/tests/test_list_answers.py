"""The outage list's and detail's answers for one fixed scenario, compared with a recording.

Every kind of row the list shows: a running clock (in time, at risk, breached), resolved and
evaluated (met and breached, one paid), resolved with the evaluation pending, assigned or not,
with and without a location, and a second organization's outage that must not show. The
scenario runs at a fixed instant with the clock stopped, so the running clocks are the same
each run. A change meant to happen is recorded again on purpose::

    RECORD_ANSWERS=1 pytest outages/tests/test_list_answers.py
"""

import json
import os
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from rest_framework.test import APIClient

from accounts.models import Role
from accounts.tests.factories import OrganizationFactory, UserFactory
from core.context import Context
from outages import services
from outages.models import Outage, OutageStatus, Severity, SlaResult
from outages.tests.factories import OutageFactory
from payments.models import PaymentType
from payments.tests.factories import PaymentFactory

pytestmark = pytest.mark.django_db

RECORDING = Path(__file__).with_name("answers") / "outages.json"
REQUEST_ID = re.compile(rb'"request_id": ?"req_[0-9a-f]+"')
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
PATHS = [
    "/api/v1/outages",
    "/api/v1/outages?limit=3&offset=2",
    "/api/v1/outages?status=resolved",
    "/api/v1/outages?severity=high&sort_by=site_name&sort_order=asc",
    "/api/v1/outages?search=Harbour",
    "/api/v1/outages?status=nonsense",
    "/api/v1/outages/OUT000001",
    "/api/v1/outages/OUT000004",
    "/api/v1/outages/OUT000006",
    "/api/v1/outages/OUT000099",
]


def outage(organization, number, minutes_ago, **fields):
    return OutageFactory(
        organization=organization,
        number=number,
        site_name=fields.pop("site_name", f"Site {number}"),
        site_id=f"SITE{number:03d}",
        detected_at=NOW - timedelta(minutes=minutes_ago),
        **fields,
    )


@pytest.fixture
def answers():
    with time_machine.travel(NOW, tick=False):
        organization = OrganizationFactory(name="Recorded", slug="recorded-outages")
        admin = UserFactory(username="noc-lead", organization=organization, role=Role.ADMIN)
        engineer = UserFactory(username="field-eng", organization=organization, role=Role.OPERATOR)
        outage(
            organization,
            1,
            5,
            assigned_to=engineer,
            latitude=Decimal("52.370216"),
            longitude=Decimal("4.895168"),
            description="Harbour mast down",
        )
        outage(
            organization,
            2,
            50,
            severity=Severity.HIGH,
            affected_services=["4G"],
            affected_subscribers=1200,
        )
        outage(organization, 3, 400, severity=Severity.LOW, created_by=admin)
        met = outage(organization, 4, 20, severity=Severity.HIGH, site_name="Harbour North")
        breached = outage(organization, 5, 300, severity=Severity.CRITICAL)
        context = Context(actor=admin)
        services.resolve_outage(outage=met, context=context, resolution_notes="Power back")
        services.resolve_outage(outage=breached, context=context)
        PaymentFactory(
            organization=organization,
            outage=met,
            outage_ref=met.public_id,
            payment_type=PaymentType.REWARD,
            amount=Decimal("250.0000000"),
            from_address="G" + "A" * 55,
            to_address="G" + "B" * 55,
            transaction_hash="c" * 64,
            idempotency_key="recorded-payout",
        )
        outage(
            organization,
            6,
            120,
            status=OutageStatus.RESOLVED,
            resolved_at=NOW,
            severity=Severity.LOW,
        )
        outage(OrganizationFactory(slug="strangers-outages"), 7, 10, site_name="Harbour Other")
        assert SlaResult.objects.count() == 2
        assert Outage.objects.filter(organization=organization).count() == 6
        client = APIClient()
        client.force_authenticate(admin)
        recorded = []
        for path in PATHS:
            response = client.get(path)
            # The bytes as written (the clock is stopped), but for the request's own id.
            body = REQUEST_ID.sub(b'"request_id":"<id>"', response.content).decode()
            recorded.append({"path": path, "status": response.status_code, "body": body})
        return recorded


def test_the_outage_answers_are_as_recorded(answers):
    if os.environ.get("RECORD_ANSWERS"):
        RECORDING.parent.mkdir(exist_ok=True)
        RECORDING.write_text(json.dumps(answers, indent=1, sort_keys=True) + "\n")
        pytest.skip(f"recorded {len(answers)} answers in {RECORDING}")
    recorded = json.loads(RECORDING.read_text())
    for got, expected in zip(answers, recorded, strict=True):
        assert got == expected, got["path"]
