"""Attesting a document on Stellar: the one place that decides how an SLA result is attested.

Today an attestation is a transaction from the organization's pool whose memo hash is the
SHA-256 of the canonical JSON of the document (``upstream.stellar.formats.canonical_json``);
anyone holding the document can recompute the digest and compare it with the ledger. To swap
the mechanism (a Soroban contract call, say) replace ``attest_document`` and
``verify_attestation``: callers only see an ``Attestation`` with a transaction hash.
"""

from django.conf import settings
from django.db import IntegrityError, transaction

from core.context import Context
from payments.models import Attestation, LedgerStatus, SourceRole
from payments.services import ledger
from payments.services.accounts import stellar_client, stellar_keys_for
from upstream.stellar.formats import memo_digest


def attest_document(
    *, organization, subject: str, document: dict, outage_ref: str = "", context: Context
) -> Attestation:
    """Put ``document``'s digest on the ledger once (a second call for the same document
    returns the same attestation, settling it if it is still open)."""
    digest = memo_digest(document).hex()
    pool = stellar_keys_for(organization=organization).pool
    try:
        with transaction.atomic():
            attestation, _ = Attestation.objects.get_or_create(
                organization=organization,
                memo=digest,
                defaults={
                    "subject": subject[:128],
                    "outage_ref": outage_ref,
                    "document": document,
                    "source_role": SourceRole.POOL,
                    "from_address": pool.public_key,
                },
            )
    except IntegrityError:
        attestation = Attestation.objects.get(organization=organization, memo=digest)
    if attestation.status == LedgerStatus.CONFIRMED:
        return attestation
    return ledger.settle(attestation, build=attestation_builder(attestation))


def attestation_builder(attestation: Attestation) -> ledger.Build:
    def build(client, signer):
        return client.build_attestation(
            signer=signer,
            memo_hash=bytes.fromhex(attestation.memo),
            timeout_seconds=settings.STELLAR_TX_TIMEOUT_SECONDS,
        )

    return build


def verify_attestation(*, attestation: Attestation, document: dict | None = None) -> bool:
    """Whether the ledger holds a successful transaction from the attesting account, with the
    hash recorded, whose memo is the digest of ``document`` (default: the stored one)."""
    if not attestation.transaction_hash:
        return False
    found = stellar_client().get_transaction(attestation.transaction_hash)
    expected = memo_digest(document if document is not None else attestation.document)
    return bool(
        found is not None
        and found.successful
        and found.source_account == attestation.from_address
        and found.memo_bytes == expected
    )
