"""The Stellar client through stellar-sdk against the Horizon simulator over HTTP."""

import hashlib
from decimal import Decimal

import pytest
from django.conf import settings
from stellar_sdk import Keypair, Network

from upstream.exceptions import UpstreamNotFound, UpstreamNotReached, certainly_not_applied
from upstream.stellar import (
    Signer,
    StellarAsset,
    StellarClient,
    StellarInsufficientBalance,
    StellarNetwork,
    StellarNoTrustline,
    StellarTimeout,
    StellarTransactionFailed,
)
from upstream.stellar.formats import amount, canonical_json, memo_digest

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def client(horizon_simulator):
    client = StellarClient(StellarNetwork.from_settings())
    yield client
    client.close()


@pytest.fixture
def pool():
    return Signer(settings.STELLAR_POOL_SECRET)


@pytest.fixture
def usdc():
    return StellarAsset("USDC", settings.STELLAR_USDC_ISSUER)


def memo(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


def funded_wallet(sim, usdc, *, trust=True) -> str:
    address = Keypair.random().public_key
    sim.create_account(address, xlm="10", assets={(usdc.code, usdc.issuer): 0} if trust else {})
    return address


def pay(client, pool, to, usdc, value="12.5000001", tag="p1"):
    envelope = client.build_payment(
        signer=pool,
        destination=to,
        asset=usdc,
        amount=Decimal(value),
        memo_hash=memo(tag),
        timeout_seconds=60,
    )
    return envelope, client.submit(envelope)


def test_a_usdc_payment_moves_exactly_its_amount_and_is_found_by_hash_and_memo(
    client, pool, usdc, horizon_simulator
):
    wallet = funded_wallet(horizon_simulator, usdc)
    before = horizon_simulator.balance(pool.public_key, "USDC", usdc.issuer)

    envelope, applied = pay(client, pool, wallet, usdc)

    assert applied.successful and applied.hash == envelope.hash and applied.ledger
    assert horizon_simulator.balance(wallet, "USDC", usdc.issuer) == Decimal("12.5000001")
    assert horizon_simulator.balance(pool.public_key, "USDC", usdc.issuer) == before - Decimal(
        "12.5000001"
    )
    assert client.get_transaction(envelope.hash).hash == envelope.hash
    found = client.find_transaction_by_memo(account_id=pool.public_key, memo_hash=memo("p1"))
    assert found is not None and found.hash == envelope.hash
    assert client.find_transaction_by_memo(account_id=pool.public_key, memo_hash=memo("x")) is None


def test_account_state_reads_sequence_and_balances(client, pool, usdc):
    state = client.get_account(pool.public_key)
    assert state.sequence > 0
    assert state.trusts(usdc)
    assert {b.asset_code for b in state.balances} == {"XLM", "USDC"}


def test_an_unknown_account_is_not_found(client):
    with pytest.raises(UpstreamNotFound):
        client.get_account(Keypair.random().public_key)


def test_resubmitting_the_same_envelope_pays_once(client, pool, usdc, horizon_simulator):
    wallet = funded_wallet(horizon_simulator, usdc)
    envelope, first = pay(client, pool, wallet, usdc, "5")
    again = client.submit(envelope)
    assert again.hash == first.hash
    assert horizon_simulator.balance(wallet, "USDC", usdc.issuer) == Decimal("5")


def test_underfunded_maps_to_insufficient_balance_and_pays_nothing(
    client, pool, usdc, horizon_simulator
):
    wallet = funded_wallet(horizon_simulator, usdc)
    with pytest.raises(StellarInsufficientBalance) as caught:
        pay(client, pool, wallet, usdc, "99999999")
    assert caught.value.result_codes == {
        "transaction": "tx_failed",
        "operations": ["op_underfunded"],
    }
    assert certainly_not_applied(caught.value)
    assert horizon_simulator.balance(wallet, "USDC", usdc.issuer) == 0


def test_a_wallet_without_trustline_maps_to_no_trustline(client, pool, usdc, horizon_simulator):
    wallet = funded_wallet(horizon_simulator, usdc, trust=False)
    with pytest.raises(StellarNoTrustline) as caught:
        pay(client, pool, wallet, usdc)
    assert caught.value.operation_codes == ["op_no_trust"]


def test_a_stale_sequence_is_a_transaction_failure_with_its_code(
    client, pool, usdc, horizon_simulator
):
    wallet = funded_wallet(horizon_simulator, usdc)
    first = client.build_payment(
        signer=pool,
        destination=wallet,
        asset=usdc,
        amount=Decimal("1"),
        memo_hash=memo("a"),
        timeout_seconds=60,
    )
    second = client.build_payment(
        signer=pool,
        destination=wallet,
        asset=usdc,
        amount=Decimal("1"),
        memo_hash=memo("b"),
        timeout_seconds=60,
    )
    client.submit(first)
    with pytest.raises(StellarTransactionFailed) as caught:
        client.submit(second)
    assert type(caught.value) is StellarTransactionFailed
    assert caught.value.result_codes == {"transaction": "tx_bad_seq"}
    assert not client.can_still_apply(second, client.get_account(pool.public_key))


def test_a_transaction_signed_for_another_network_fails_auth(
    client, pool, usdc, horizon_simulator, settings
):
    wallet = funded_wallet(horizon_simulator, usdc)
    public = StellarClient(
        StellarNetwork(
            horizon_url=settings.HORIZON_URL, passphrase=Network.PUBLIC_NETWORK_PASSPHRASE
        )
    )
    try:
        envelope = public.build_payment(
            signer=pool,
            destination=wallet,
            asset=usdc,
            amount=Decimal("1"),
            memo_hash=memo("n"),
            timeout_seconds=60,
        )
    finally:
        public.close()
    with pytest.raises(StellarTransactionFailed) as caught:
        client.submit(envelope)
    assert caught.value.result_codes == {"transaction": "tx_bad_auth"}


def test_an_answer_lost_after_applying_is_a_timeout_and_the_memo_finds_it(
    client, pool, usdc, horizon_simulator
):
    wallet = funded_wallet(horizon_simulator, usdc)
    horizon_simulator.set_faults(apply_then="hang", hang_seconds=4, paths="/transactions")
    envelope = client.build_payment(
        signer=pool,
        destination=wallet,
        asset=usdc,
        amount=Decimal("3"),
        memo_hash=memo("lost"),
        timeout_seconds=60,
    )
    with pytest.raises(StellarTimeout) as caught:
        client.submit(envelope)
    assert not certainly_not_applied(caught.value)
    horizon_simulator.clear_faults()
    found = client.find_transaction_by_memo(account_id=pool.public_key, memo_hash=memo("lost"))
    assert found is not None and found.hash == envelope.hash and found.successful
    assert not client.can_still_apply(envelope, client.get_account(pool.public_key))


def test_a_5xx_after_applying_is_ambiguous(client, pool, usdc, horizon_simulator):
    from upstream.exceptions import UpstreamUnavailable

    wallet = funded_wallet(horizon_simulator, usdc)
    horizon_simulator.set_faults(apply_then="error", error_status=503, paths="/transactions")
    with pytest.raises(UpstreamUnavailable) as caught:
        pay(client, pool, wallet, usdc, "2", tag="5xx")
    assert not certainly_not_applied(caught.value)
    assert horizon_simulator.balance(wallet, "USDC", usdc.issuer) == Decimal("2")


def test_horizon_down_is_not_reached(settings):
    settings.UPSTREAM_MAX_RETRIES = 0
    client = StellarClient(StellarNetwork(horizon_url="http://127.0.0.1:9"))
    with pytest.raises(UpstreamNotReached):
        client.get_account(Keypair.random().public_key)


def test_friendbot_creates_and_funds_an_account(client):
    address = Keypair.random().public_key
    client.fund_with_friendbot(address)
    state = client.get_account(address)
    assert state.balances[0].asset_code == "XLM" and state.balances[0].balance > 0


def test_an_attestation_carries_the_documents_digest_and_moves_nothing(
    client, pool, horizon_simulator
):
    document = {"outage_id": "OUT001", "mttr_minutes": 25, "amount": "-1000.0000000"}
    before = horizon_simulator.balance(pool.public_key, "USDC", settings.STELLAR_USDC_ISSUER)
    envelope = client.build_attestation(
        signer=pool, memo_hash=memo_digest(document), timeout_seconds=60
    )
    applied = client.submit(envelope)
    assert applied.memo_bytes == hashlib.sha256(canonical_json(document)).digest()
    assert (
        horizon_simulator.balance(pool.public_key, "USDC", settings.STELLAR_USDC_ISSUER) == before
    )


def test_amounts_keep_seven_places_and_refuse_more():
    assert amount("1.1234567") == Decimal("1.1234567")
    for bad in ("1.12345678", 1.5, "0", "-1", "abc"):
        with pytest.raises(ValueError, match=r"\w"):
            amount(bad)


def test_the_signer_never_prints_its_secret(pool):
    assert settings.STELLAR_POOL_SECRET not in repr(pool)
    assert settings.STELLAR_POOL_SECRET not in str(pool)
    assert pool.public_key in repr(pool)


def test_a_memo_search_that_cannot_reach_its_start_refuses_to_conclude(
    client, pool, usdc, horizon_simulator, monkeypatch, settings
):
    from upstream.exceptions import UpstreamError
    from upstream.stellar import client as client_module

    wallet = funded_wallet(horizon_simulator, usdc)
    for tag in ("s1", "s2", "s3"):
        pay(client, pool, wallet, usdc, "1", tag=tag)
    monkeypatch.setattr(client_module, "PAGE_LIMIT", 1)
    settings.STELLAR_MEMO_SEARCH_PAGES = 2

    assert client.find_transaction_by_memo(account_id=pool.public_key, memo_hash=memo("s3"))
    with pytest.raises(UpstreamError, match="without reaching"):
        client.find_transaction_by_memo(account_id=pool.public_key, memo_hash=memo("s1"))
