"""No signing secret ever leaves the process: not in a response, a log line, an audit row or a
database column in clear."""

import logging
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from stellar_sdk import Keypair

from accounts.models import AuditLog
from payments.models import Payment, StellarAccount, Wallet
from payments.services import request_payment, settle_payment, stellar_keys_for

pytestmark = pytest.mark.django_db(transaction=True)


def raw_rows(table: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - our own table names
        return repr(cursor.fetchall())


def test_custodial_and_account_secrets_never_appear_in_answers_logs_audit_or_columns(
    operator_client, organization, network, caplog, system_context, usdc
):
    caplog.set_level(logging.DEBUG)
    own = Keypair.random()
    network.create_account(own.public_key, xlm="100", assets={usdc: "100"})
    StellarAccount.objects.create(
        organization=organization,
        pool_public_key=own.public_key,
        pool_secret=own.secret,
        operator_public_key="",
    )
    assert stellar_keys_for(organization=organization).pool.public_key == own.public_key

    answers = [operator_client.post("/api/v1/wallets/create", {"fund": True}, format="json")]
    wallet = Wallet.objects.get()
    payment = request_payment(
        organization=organization,
        payment_type="reward",
        amount=Decimal("10"),
        to_address=wallet.public_key,
        idempotency_key="secret-test",
        context=system_context,
    )
    settle_payment(payment=payment, context=system_context)
    answers.append(operator_client.get(f"/api/v1/wallets/{wallet.user_id}"))
    answers.append(operator_client.get("/api/v1/payments/history"))
    assert Payment.objects.get().status == "confirmed"

    secrets = [own.secret, wallet.secret, settings.STELLAR_POOL_SECRET]
    assert all(s.startswith("S") and len(s) == 56 for s in secrets)
    exposed = {
        "answers": "".join(a.content.decode() for a in answers),
        "logs": caplog.text + repr([r.__dict__ for r in caplog.records]),
        "audit": repr(list(AuditLog.objects.values())),
        "columns": raw_rows("payments_stellaraccount")
        + raw_rows("payments_wallet")
        + raw_rows("payments_payment")
        + raw_rows("payments_attestation"),
    }
    for where, text in exposed.items():
        for secret in secrets:
            assert secret not in text, f"a secret leaked into {where}"
    assert own.public_key in exposed["columns"]  # the search can find what it looks for
