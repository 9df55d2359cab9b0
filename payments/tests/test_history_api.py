"""GET /api/v1/payments/history and /api/v1/analytics/payments: seed 004's shapes, filters,
summaries computed in the database, one organization only."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from core.tests.api import assert_error_envelope, assert_success_envelope
from payments.models import LedgerStatus, Payment
from payments.tests.factories import AttestationFactory, PaymentFactory

pytestmark = pytest.mark.django_db

HISTORY = "/api/v1/payments/history"
ANALYTICS = "/api/v1/analytics/payments"


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 1, day, hour, tzinfo=UTC)


def made(organization, *, created_at, **kwargs) -> Payment:
    payment = PaymentFactory(organization=organization, **kwargs)
    Payment.objects.filter(pk=payment.pk).update(created_at=created_at)
    return payment


@pytest.fixture
def ledger(organization, other_organization):
    made(organization, created_at=at(15), payment_type="reward", amount=Decimal("1500"))
    made(organization, created_at=at(15, 13), payment_type="penalty", amount=Decimal("1000"))
    made(organization, created_at=at(16), payment_type="reward", amount=Decimal("2000"))
    made(
        organization,
        created_at=at(16, 14),
        payment_type="penalty",
        amount=Decimal("500"),
        status=LedgerStatus.FAILED,
    )
    # Another organization's money must never show.
    made(other_organization, created_at=at(16), payment_type="reward", amount=Decimal("9999"))


def test_history_lists_the_organizations_payments_with_seed_004s_summary(operator_client, ledger):
    response = operator_client.get(HISTORY, {"limit": 2, "offset": 0})
    assert response.status_code == 200, response.content
    body = response.json()
    assert_success_envelope(body)
    data = body["data"]
    assert (data["total"], data["limit"], data["offset"]) == (4, 2, 0)
    assert [t["created_at"][:10] for t in data["transactions"]] == ["2026-01-16", "2026-01-16"]
    first = data["transactions"][0]
    assert set(first) >= {
        "id",
        "transaction_hash",
        "type",
        "amount",
        "asset_code",
        "from_address",
        "to_address",
        "status",
        "outage_id",
        "created_at",
        "confirmed_at",
        "explorer_url",
    }
    assert first["explorer_url"].endswith(f"/tx/{first['transaction_hash']}")
    # Confirmed only: the failed 500 penalty moved nothing; 9999 is another organization's.
    assert data["summary"] == {
        "total_penalties": "1000.0000000",
        "total_rewards": "3500.0000000",
        "net_amount": "2500.0000000",
    }


@pytest.mark.parametrize(
    ("params", "count"),
    [
        ({"type": "penalty"}, 2),
        ({"status": "failed"}, 1),
        ({"start_date": "2026-01-16"}, 2),
        ({"end_date": "2026-01-15"}, 2),
        ({"start_date": "2026-01-15T12:30:00Z", "end_date": "2026-01-16T12:00:00Z"}, 2),
    ],
)
def test_history_filters(operator_client, ledger, params, count):
    response = operator_client.get(HISTORY, params)
    assert response.status_code == 200, response.content
    assert response.json()["data"]["total"] == count


@pytest.mark.parametrize(
    "params",
    [
        {"start_date": "yesterday"},
        {"type": "bonus"},
        {"start_date": "2026-02-01", "end_date": "2026-01-01"},
    ],
)
def test_history_refuses_bad_filters(operator_client, ledger, params):
    response = operator_client.get(HISTORY, params)
    assert response.status_code == 422
    assert_error_envelope(response.json(), "VALIDATION_ERROR")


@pytest.mark.parametrize("rows", [1, 4])
@pytest.mark.parametrize("attested", [False, True])
def test_history_query_count_is_pinned(
    operator_client,
    organization,
    other_organization,
    rows,
    attested,
    django_assert_num_queries,
):
    """The total with the summary, then the page with its attestations' hashes."""
    for day in range(1, rows + 1):
        attestation = AttestationFactory(organization=organization) if attested else None
        made(organization, created_at=at(day), attestation=attestation)
    made(other_organization, created_at=at(1), attestation=AttestationFactory())
    with django_assert_num_queries(2):
        response = operator_client.get(HISTORY)
    assert response.status_code == 200, response.content
    transactions = response.json()["data"]["transactions"]
    assert len(transactions) == rows
    assert all(bool(t["attestation_tx_hash"]) is attested for t in transactions)


def test_analytics_summarises_and_trends_by_day_in_the_period(operator_client, ledger):
    response = operator_client.get(
        ANALYTICS, {"start_date": "2026-01-01", "end_date": "2026-01-31", "group_by": "day"}
    )
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert data["summary"] == {
        "total_penalties": "1000.0000000",
        "total_rewards": "3500.0000000",
        "net_amount": "2500.0000000",
        "transaction_count": 3,
        "average_transaction_amount": "1500.0000000",
    }
    assert data["trends"] == [
        {
            "date": "2026-01-15",
            "penalties": "1000.0000000",
            "rewards": "1500.0000000",
            "net": "500.0000000",
            "count": 2,
        },
        {
            "date": "2026-01-16",
            "penalties": "0.0000000",
            "rewards": "2000.0000000",
            "net": "2000.0000000",
            "count": 1,
        },
    ]
    assert data["period"]["start"].startswith("2026-01-01T00:00:00")


def test_analytics_by_month_and_refuses_unknown_groups(operator_client, ledger):
    month = operator_client.get(ANALYTICS, {"group_by": "month"}).json()["data"]["trends"]
    assert [(t["date"], t["count"]) for t in month] == [("2026-01-01", 3)]
    response = operator_client.get(ANALYTICS, {"group_by": "year"})
    assert response.status_code == 422


def test_another_organizations_payments_are_absent(client_for, ledger, other_organization):
    from accounts.models import Role

    stranger = client_for(Role.VIEWER, organization=other_organization)
    data = stranger.get(HISTORY).json()["data"]
    assert data["total"] == 1
    assert data["summary"]["total_rewards"] == "9999.0000000"
    assert timezone.now()
