import hashlib
from decimal import Decimal

import factory
from stellar_sdk import Keypair

from accounts.tests.factories import OrganizationFactory, UserFactory
from payments.models import Attestation, LedgerStatus, Payment, PaymentType, SourceRole, Wallet


def address() -> str:
    return Keypair.random().public_key


class PaymentFactory(factory.django.DjangoModelFactory):
    """A payment row as settlement leaves it (confirmed unless told), for reads and reports."""

    class Meta:
        model = Payment

    organization = factory.SubFactory(OrganizationFactory)
    payment_type = PaymentType.REWARD
    amount = Decimal("100.0000000")
    asset_code = "USDC"
    asset_issuer = "GBBD47IF6LWK7P7MDEVSCWR7DPUWV3NY3DTQEVFL4NAT4AQH3ZLLFLA5"
    source_role = SourceRole.POOL
    from_address = factory.LazyFunction(address)
    to_address = factory.LazyFunction(address)
    idempotency_key = factory.Sequence(lambda n: f"key-{n}")
    memo = factory.LazyAttribute(lambda p: hashlib.sha256(p.idempotency_key.encode()).hexdigest())
    status = LedgerStatus.CONFIRMED
    transaction_hash = factory.LazyAttribute(
        lambda p: hashlib.sha256(f"tx-{p.idempotency_key}".encode()).hexdigest()
    )
    outage_ref = factory.Sequence(lambda n: f"OUT{n:03d}")


class AttestationFactory(factory.django.DjangoModelFactory):
    """An SLA result attested on the ledger (confirmed unless told)."""

    class Meta:
        model = Attestation

    organization = factory.SubFactory(OrganizationFactory)
    source_role = SourceRole.POOL
    from_address = factory.LazyFunction(address)
    outage_ref = factory.Sequence(lambda n: f"OUT{n:03d}")
    subject = factory.LazyAttribute(lambda a: f"sla:{a.outage_ref}:1")
    document = factory.LazyAttribute(lambda a: {"outage": a.outage_ref})
    memo = factory.LazyAttribute(lambda a: hashlib.sha256(a.subject.encode()).hexdigest())
    status = LedgerStatus.CONFIRMED
    transaction_hash = factory.LazyAttribute(
        lambda a: hashlib.sha256(f"tx-{a.subject}".encode()).hexdigest()
    )


class WalletFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Wallet

    user = factory.SubFactory(UserFactory)
    organization = factory.LazyAttribute(lambda w: w.user.organization)
    public_key = factory.LazyFunction(address)
