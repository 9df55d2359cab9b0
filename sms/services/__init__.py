"""SMS business rules: sending, cancelling and following MT messages, mirroring MO ones."""

from sms.services.messages import (
    SmsNotSent,
    apply_upstream,
    cancel_sms,
    fresh_status,
    reconcile_unknown,
    refresh_status,
    send_sms,
)
from sms.services.sync import SmsSyncResult, sims_to_sync, sync_sim_sms, sync_sms
from sms.services.validation import check_can_receive, validate_message

__all__ = [
    "SmsNotSent",
    "SmsSyncResult",
    "apply_upstream",
    "cancel_sms",
    "check_can_receive",
    "fresh_status",
    "reconcile_unknown",
    "refresh_status",
    "send_sms",
    "sims_to_sync",
    "sync_sim_sms",
    "sync_sms",
    "validate_message",
]
