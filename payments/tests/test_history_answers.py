"""``GET /api/v1/payments/history``'s answers (and analytics', which share its summary) for one
fixed scenario, compared with a recording to the byte: key order, number formatting and errors
included.

Two organizations' payments of every type and status, with and without an attestation, at fixed
instants; the history asked with every filter, pages, bad filters, as a platform superuser, as
the other organization and as a member of none. Each answer is kept as the exact text the API
wrote, the envelope's ``meta`` (clock, request id) and an error's clock masked, each payment's
id (from a sequence) named by its idempotency key. A change meant to happen is recorded again
on purpose::

    RECORD_ANSWERS=1 pytest payments/tests/test_history_answers.py
"""

import difflib
import hashlib
import json
import os
import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from rest_framework.test import APIClient
from stellar_sdk import Keypair

from accounts.models import Role
from accounts.tests.factories import OrganizationFactory, UserFactory
from payments.models import Attestation, LedgerStatus, Payment, PaymentType
from payments.tests.factories import AttestationFactory, PaymentFactory

pytestmark = pytest.mark.django_db

RECORDING = Path(__file__).with_name("answers") / "history.json"
HISTORY = "/api/v1/payments/history"
ANALYTICS = "/api/v1/analytics/payments"
EXPLORER = "https://stellar.expert/explorer/testnet"

META = re.compile(r'"meta":\{[^{}]*\}')
ERROR_TIMESTAMP = re.compile(r'"timestamp":"[^"]*"')
PAYMENT_ID = re.compile(r'"id":(\d+)')


def fixed(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


def address(n: int) -> str:
    return Keypair.from_raw_ed25519_seed(bytes([n]) * 32).public_key


def at(day: int, hour: int, microsecond: int = 0) -> datetime:
    return datetime(2026, 1, day, hour, 0, 7, microsecond, tzinfo=UTC)


def attestation(organization, name: str, *, transaction_hash: str) -> Attestation:
    return AttestationFactory(
        organization=organization,
        from_address=address(90),
        outage_ref=name,
        memo=fixed(f"memo-{name}"),
        status=LedgerStatus.CONFIRMED if transaction_hash else LedgerStatus.PENDING,
        transaction_hash=transaction_hash,
    )


def payment(organization, key: str, *, created_at: datetime, **values) -> Payment:
    values.setdefault("memo", fixed(f"memo-{key}"))
    values.setdefault("transaction_hash", fixed(f"tx-{key}"))
    made = PaymentFactory(
        organization=organization,
        idempotency_key=key,
        from_address=address(1),
        to_address=address(2),
        **values,
    )
    Payment.objects.filter(pk=made.pk).update(created_at=created_at)
    return made


def ledger(organization, stranger) -> None:
    """A dozen payments of ``organization`` and two of ``stranger``, all fixed."""
    attested = attestation(organization, "OUT001", transaction_hash=fixed("attest-OUT001"))
    unsent = attestation(organization, "OUT004", transaction_hash="")
    confirmed, failed = LedgerStatus.CONFIRMED, LedgerStatus.FAILED
    reward, penalty, manual = PaymentType.REWARD, PaymentType.PENALTY, PaymentType.MANUAL
    rows = [
        ("r1", reward, "1500", confirmed, at(14, 9), "OUT001", attested),
        ("p1", penalty, "1000.5", confirmed, at(14, 9), "OUT002", None),  # same instant as r1
        ("r2", reward, "0.0000001", confirmed, at(15, 0, 500000), "OUT003", None),
        ("p2", penalty, "500", failed, at(15, 11, 123456), "OUT004", unsent),
        ("m1", manual, "42.4200000", confirmed, at(15, 23, 120000), "", None),
        ("r3", reward, "999999999999.9999999", "pending", at(16, 1, 7), "OUT005", None),
        ("p3", penalty, "250.25", "submitted", at(16, 2, 100000), "OUT006", attested),
        ("r4", reward, "2000", confirmed, at(16, 12, 123400), "OUT007", None),
        ("p4", penalty, "0.1234567", confirmed, at(17, 6, 123450), "OUT008", None),
        ("m2", manual, "10", failed, at(17, 18), "", None),
        ("r5", reward, "75.5", confirmed, at(31, 23, 999999), "OUT003", None),
        ("p5", penalty, "3", "pending", at(31, 23, 999999), "OUT009", None),
    ]
    for key, kind, amount, status, created_at, outage, attested_by in rows:
        final = status in (confirmed, failed)
        payment(
            organization,
            key,
            created_at=created_at,
            payment_type=kind,
            amount=Decimal(amount),
            status=status,
            outage_ref=outage,
            attestation=attested_by,
            asset_code="XLM" if kind == manual else "USDC",
            asset_issuer="" if kind == manual else address(3),
            transaction_hash="" if status == "pending" else fixed(f"tx-{key}"),
            error_code="tx_bad_seq" if status == failed else "",
            submitted_at=None if status == "pending" else created_at,
            confirmed_at=created_at.replace(hour=23, minute=59) if final else None,
        )
    stranger_attested = attestation(stranger, "OUT001", transaction_hash=fixed("attest-x"))
    payment(stranger, "x1", created_at=at(15, 8), amount=Decimal("9999"), outage_ref="OUT001")
    payment(
        stranger,
        "x2",
        created_at=at(16, 8),
        payment_type=PaymentType.PENALTY,
        amount=Decimal("7"),
        outage_ref="OUT001",
        attestation=stranger_attested,
    )


CALLS = [
    ("operator", HISTORY),
    ("operator", f"{HISTORY}?limit=5&offset=5"),
    ("operator", f"{HISTORY}?limit=5&offset=10"),
    ("operator", f"{HISTORY}?page=2&page_size=4"),
    ("operator", f"{HISTORY}?offset=50"),
    ("operator", f"{HISTORY}?type=reward"),
    ("operator", f"{HISTORY}?type=penalty&status=confirmed"),
    ("operator", f"{HISTORY}?status=confirmed"),
    ("operator", f"{HISTORY}?status=failed&type=manual"),
    ("operator", f"{HISTORY}?start_date=2026-01-15&end_date=2026-01-16"),
    ("operator", f"{HISTORY}?start_date=2026-01-15T11:00:07.123456Z&end_date=2026-01-16T12:00:07Z"),
    ("operator", f"{HISTORY}?end_date=2026-01-14"),
    ("operator", f"{HISTORY}?outage_id=OUT003"),
    ("operator", f"{HISTORY}?outage_id=OUT404"),
    ("operator", f"{HISTORY}?limit=1000"),
    ("operator", f"{HISTORY}?type=bonus"),
    ("operator", f"{HISTORY}?status=lost&type=reward"),
    ("operator", f"{HISTORY}?start_date=yesterday"),
    ("operator", f"{HISTORY}?start_date=2026-02-01&end_date=2026-01-01"),
    ("operator", f"{HISTORY}?limit=0"),
    ("operator", f"{HISTORY}?offset=-1"),
    ("operator", f"{HISTORY}?limit=ten"),
    ("superuser", f"{HISTORY}?limit=20"),
    ("superuser", f"{HISTORY}?outage_id=OUT001"),
    ("stranger", HISTORY),
    ("stranger", f"{HISTORY}?type=reward"),
    ("nobody", HISTORY),
    ("operator, no explorer", f"{HISTORY}?limit=3"),
    # Analytics' summary is the history's, with the count and average of the confirmed ones.
    ("operator", ANALYTICS),
    ("operator", f"{ANALYTICS}?start_date=2026-01-15&end_date=2026-01-16&group_by=day"),
    ("operator", f"{ANALYTICS}?group_by=month"),
    ("operator", f"{ANALYTICS}?start_date=2026-02-01"),
    ("operator", f"{ANALYTICS}?group_by=year"),
    ("superuser", ANALYTICS),
    ("stranger", ANALYTICS),
    ("nobody", ANALYTICS),
]


def clients(organization, stranger) -> dict[str, APIClient]:
    users = {
        "operator": UserFactory(organization=organization, role=Role.OPERATOR),
        "superuser": UserFactory(organization=None, role=Role.ADMIN, is_superuser=True),
        "stranger": UserFactory(organization=stranger, role=Role.VIEWER),
        "nobody": UserFactory(organization=None, role=Role.VIEWER),
    }
    users["operator, no explorer"] = users["operator"]
    authenticated = {}
    for who, user in users.items():
        client = APIClient()
        client.force_authenticate(user)
        authenticated[who] = client
    return authenticated


def exact(response, names: dict[int, str]) -> str:
    """The answer's text as written, ``meta`` and an error's clock masked, payment ids named."""
    text = META.sub('"meta":"<masked>"', response.content.decode())
    text = ERROR_TIMESTAMP.sub('"timestamp":"<masked>"', text)
    return PAYMENT_ID.sub(lambda match: f'"id":"<{names[int(match[1])]}>"', text)


def pretty(content: str) -> list[str]:
    return json.dumps(json.loads(content), indent=1).splitlines()


def test_history_answers_as_recorded(settings):
    settings.STELLAR_EXPLORER_URL = EXPLORER
    organization = OrganizationFactory(name="Recorded", slug="recorded")
    stranger = OrganizationFactory(name="Strangers", slug="strangers")
    ledger(organization, stranger)
    names = dict(Payment.objects.values_list("pk", "idempotency_key"))
    authenticated = clients(organization, stranger)
    answers = []
    for who, url in CALLS:
        settings.STELLAR_EXPLORER_URL = "" if who.endswith("no explorer") else EXPLORER
        response = authenticated[who].get(url)
        answers.append(
            {
                "call": f"{who}: {url}",
                "status": response.status_code,
                "content": exact(response, names),
            }
        )
    if os.environ.get("RECORD_ANSWERS"):
        RECORDING.parent.mkdir(exist_ok=True)
        RECORDING.write_text(json.dumps(answers, indent=1) + "\n")
        pytest.skip(f"recorded {len(answers)} answers in {RECORDING}")
    recorded = json.loads(RECORDING.read_text())
    assert [a["call"] for a in answers] == [r["call"] for r in recorded]
    changed = [
        f"{expected['call']}: status {expected['status']} -> {got['status']}\n"
        + (
            "\n".join(difflib.unified_diff(pretty(expected["content"]), pretty(got["content"])))
            or f"the same JSON written otherwise:\n{expected['content']}\n{got['content']}"
        )
        for got, expected in zip(answers, recorded, strict=True)
        if got != expected
    ]
    assert not changed, "\n\n".join(changed)
