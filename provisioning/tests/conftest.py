"""Fixtures for provisioning tests: the PMNL simulator over loopback HTTP as the default
account of ``organization``, reached through our real client."""

import itertools

import pytest
from rest_framework.test import APIClient

from accounts.models import Role
from accounts.tests.factories import UserFactory
from conftest import answer_without_nagle
from provisioning.tests.factories import CustomerAuthorizationFactory

CUST_ID = "9123456"
_serials = itertools.count(1)


def new_identifiers() -> tuple[str, str]:
    n = next(_serials)
    return f"89312400{n:012d}", f"3165{n:07d}"


def create_body(**overrides) -> dict:
    """Seed 003's complete create example, with fresh identifiers unless given."""
    iccid, msisdn = new_identifiers()
    body = {
        "iccid": iccid,
        "msisdn": msisdn,
        "cust_id": CUST_ID,
        "admin_info": "Test Subscriber Alpha",
        "aor": {"domain_id": 101, "auth_username": "+31612345678", "auth_password": "secure-pass"},
        "apn": {"name": "data.test.net", "speed_up": 1024, "speed_down": 2048},
        "subscriber_state": True,
        "network_access_list": {
            "zoneNL": True,
            "zone1": True,
            "zone2": False,
            "zone3": False,
            "zone4": False,
            "zone5": False,
        },
        "contract": {"service_package": 1234567, "service_profile": 7, "duration": 12},
        "credit": {"max_credit": 50.00},
    }
    body.update(overrides)
    return body


@pytest.fixture
def pmnl(live_server, settings, organization):
    """The PMNL simulator as the default account owned by ``organization``: fast queued
    requests, one quick retry, short timeouts. Returns ``simulators.pmnl.testing``."""
    from simulators.pmnl import testing

    answer_without_nagle(live_server)
    settings.PMNL_BASE_URL = f"{live_server.url}/sim/pmnl/v5"
    settings.PMNL_TOKEN_URL = f"{live_server.url}/sim/pmnl/oauth2/token"
    settings.PMNL_DEFAULT_ORGANIZATION = organization.slug
    settings.PMNL_READ_TIMEOUT = 2.0
    settings.UPSTREAM_MAX_RETRIES = 1
    testing.register_account(
        client_id=settings.PMNL_CLIENT_ID,
        client_secret=settings.PMNL_CLIENT_SECRET,
        api_key=settings.PMNL_API_KEY,
    )
    testing.clear_faults()
    testing.set_faults(queue_seconds=0.2, process_seconds=0.3)
    yield testing
    testing.clear_faults()


@pytest.fixture
def provisioner(organization):
    """An operator of ``organization`` mapped to ``CUST_ID``."""
    user = UserFactory(organization=organization, role=Role.OPERATOR)
    CustomerAuthorizationFactory(user=user, cust_id=CUST_ID)
    return user


@pytest.fixture
def api(provisioner):
    client = APIClient()
    client.force_authenticate(provisioner)
    return client
