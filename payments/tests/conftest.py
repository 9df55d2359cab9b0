"""Fixtures for payments: the Horizon simulator as the network, wallets that can be paid."""

import pytest
from django.conf import settings
from stellar_sdk import Keypair

from core.context import Context


@pytest.fixture
def network(horizon_simulator):
    """The simulator (``simulators.horizon.testing``) with the demo pool and operator funded;
    the default Stellar keys belong to ``organization``."""
    return horizon_simulator


@pytest.fixture
def usdc():
    return ("USDC", settings.STELLAR_USDC_ISSUER)


@pytest.fixture
def noc_wallet(network, usdc) -> str:
    """A funded wallet that trusts USDC (a NOC team's)."""
    address = Keypair.random().public_key
    network.create_account(address, xlm="10", assets={usdc: 0})
    return address


@pytest.fixture
def pool_address() -> str:
    return Keypair.from_secret(settings.STELLAR_POOL_SECRET).public_key


@pytest.fixture
def system_context():
    return Context.system()
