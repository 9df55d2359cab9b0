import pytest

from accounts.models import Role
from accounts.tests.factories import UserFactory
from core.context import Context


@pytest.fixture
def admin(organization):
    return UserFactory(organization=organization, role=Role.ADMIN, username="noc-admin")


@pytest.fixture
def operator(organization):
    return UserFactory(organization=organization, role=Role.OPERATOR, username="user123")


@pytest.fixture
def operator_context(operator):
    return Context(actor=operator, via="test")


@pytest.fixture
def admin_context(admin):
    return Context(actor=admin, via="test")
