"""Models of the upstream simulators (each stand-in keeps its own tables)."""

from simulators.onence.models import (
    OnenceAccount,
    OnenceEvent,
    OnenceFault,
    OnenceOrder,
    OnenceRequestLog,
    OnenceSim,
    OnenceSms,
    OnenceToken,
    OnenceUsageDay,
)
from simulators.pmnl.models import (
    PmnlSimAccount,
    PmnlSimFault,
    PmnlSimRequest,
    PmnlSimRequestLog,
    PmnlSimSubscriber,
    PmnlSimToken,
)

__all__ = [
    "OnenceAccount",
    "OnenceEvent",
    "OnenceFault",
    "OnenceOrder",
    "OnenceRequestLog",
    "OnenceSim",
    "OnenceSms",
    "OnenceToken",
    "OnenceUsageDay",
    "PmnlSimAccount",
    "PmnlSimFault",
    "PmnlSimRequest",
    "PmnlSimRequestLog",
    "PmnlSimSubscriber",
    "PmnlSimToken",
]
