"""The 1NCE simulator over loopback HTTP, and our mirror of its SIMs."""

import pytest


@pytest.fixture
def fleet(onence_fleet):
    return onence_fleet
