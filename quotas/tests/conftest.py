"""The 1NCE simulator over loopback HTTP, and our mirror of its SIMs."""

import pytest

from simulators.onence import testing
from upstream.onence import BYTES_PER_MB

PACKAGE = 500 * BYTES_PER_MB  # 524,288,000 bytes: what 1NCE's "500 MB" is in our units


@pytest.fixture
def fleet(onence_fleet):
    return onence_fleet


def topup_posts(iccid: str | None = None) -> list[dict]:
    """The top-up calls the simulator received (for one SIM, or all)."""
    rows = testing.requests_received(path_contains="/topup", method="POST")
    return [row for row in rows if iccid is None or iccid in row["path"]]
