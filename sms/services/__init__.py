"""SMS business rules: sending, cancelling and following MT messages, mirroring MO ones."""

from sms.services.messages import (
    apply_upstream,
    cancel_sms,
    follow_delivery,
    follow_up,
    fresh_status,
    is_outcome_pending,
    reconcile_sms,
    reconcile_unknown,
    refresh_status,
    send_sms,
    settles_by,
    status_url,
)
from sms.services.sync import SmsSyncResult, sims_to_sync, sync_sim_sms, sync_sms
from sms.services.validation import check_can_receive, validate_message

__all__ = [
    "SmsSyncResult",
    "apply_upstream",
    "cancel_sms",
    "check_can_receive",
    "follow_delivery",
    "follow_up",
    "fresh_status",
    "is_outcome_pending",
    "reconcile_sms",
    "reconcile_unknown",
    "refresh_status",
    "send_sms",
    "settles_by",
    "sims_to_sync",
    "status_url",
    "sync_sim_sms",
    "sync_sms",
    "validate_message",
]
