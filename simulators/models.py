"""Models of the upstream simulators (each stand-in keeps its own tables)."""

from simulators.horizon.models import (
    HorizonAccount,
    HorizonBalance,
    HorizonFault,
    HorizonRequestLog,
    HorizonTransaction,
)
from simulators.onence.models import (
    OnenceAccount,
    OnenceDataStream,
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
    "HorizonAccount",
    "HorizonBalance",
    "HorizonFault",
    "HorizonRequestLog",
    "HorizonTransaction",
    "OnenceAccount",
    "OnenceDataStream",
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
