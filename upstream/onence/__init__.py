"""The 1NCE Management API client (``OnenceClient``) and the dataclasses it speaks."""

from upstream.onence.client import OnenceClient
from upstream.onence.formats import BYTES_PER_MB, InvalidIccidError, normalise_iccid
from upstream.onence.models import OnenceCredentials

__all__ = [
    "BYTES_PER_MB",
    "InvalidIccidError",
    "OnenceClient",
    "OnenceCredentials",
    "normalise_iccid",
]
