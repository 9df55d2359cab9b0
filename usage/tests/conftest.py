"""The 1NCE simulator over loopback HTTP, and our mirror of its SIMs."""

import pytest

from simulators.onence import testing


@pytest.fixture
def onence_sim(onence_simulator, settings):
    """The simulator with no retries and no pauses between sync passes."""
    settings.UPSTREAM_MAX_RETRIES = 0
    settings.USAGE_SYNC_RETRY_DELAY_SECONDS = 0
    return onence_simulator


def fail_requests(*, status: int = 503, paths: str = "/usage") -> None:
    """Every matching simulator request answers ``status`` from now on."""
    testing.set_faults(error_rate=1.0, error_status=status, paths=paths, enforce_rate_limit=False)
