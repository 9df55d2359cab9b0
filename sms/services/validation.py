"""What may be sent: message length and alphabet, SIM state, destination limits."""

from django.db.models import Q
from rest_framework.exceptions import ValidationError

from core.exceptions import Conflict
from sims.models import LimitSet, Sim
from sms.encoding import (
    GSM7_MAX_SEPTETS,
    UCS2_MAX_UNITS,
    gsm7_invalid_characters,
    gsm7_septets,
    ucs2_units,
)
from sms.models import SmsEncoding


def validate_message(*, message: str, encoding: str) -> None:
    """A 422 unless ``message`` fits one SMS in ``encoding``.

    Longer messages are refused rather than split: a device receiving a concatenated SMS must
    reassemble it, and 1NCE tracks (and bills) each part on its own.
    """
    if not message:
        raise ValidationError({"message": ["The message must not be empty."]}, code="blank")
    if encoding == SmsEncoding.GSM7:
        invalid = gsm7_invalid_characters(message)
        if invalid:
            shown = " ".join(repr(c) for c in invalid[:10])
            raise ValidationError(
                {
                    "message": [
                        f"Characters outside the GSM 7-bit alphabet: {shown}. "
                        "Use encoding UCS2 for them."
                    ]
                },
                code="gsm7_alphabet",
            )
        length = gsm7_septets(message)
        if length > GSM7_MAX_SEPTETS:
            raise ValidationError(
                {
                    "message": [
                        f"A GSM7 message holds at most {GSM7_MAX_SEPTETS} characters (each of "
                        f"^{{}}\\[~]|€ counts as two); this one needs {length}."
                    ]
                },
                code="max_length",
            )
    else:
        length = ucs2_units(message)
        if length > UCS2_MAX_UNITS:
            raise ValidationError(
                {
                    "message": [
                        f"A UCS2 message holds at most {UCS2_MAX_UNITS} characters; this one "
                        f"needs {length}."
                    ]
                },
                code="max_length",
            )


def check_can_receive(*, sim: Sim) -> None:
    """The SIM must be enabled and its MSISDN allowed by the SIM's and organization's limits.

    Allowed prefixes: the SIM's list when it has one, else the organization's (an empty list
    allows every destination). Blocked prefixes: both lists, since a block is never inherited
    away.
    """
    if not sim.is_enabled:
        raise Conflict(
            f"The SIM is {sim.status}; only an enabled SIM can receive SMS.",
            details={"iccid": sim.iccid, "status": sim.status},
        )
    limit_sets = list(
        LimitSet.objects.filter(
            Q(sim=sim) | Q(sim__isnull=True), organization_id=sim.organization_id
        )
    )
    own = next((row for row in limit_sets if row.sim_id == sim.pk), None)
    base = next((row for row in limit_sets if row.sim_id is None), None)
    allowed = (own.sms_allowed_destinations if own else None) or (
        base.sms_allowed_destinations if base else []
    )
    blocked = [
        *((own.sms_blocked_destinations or []) if own else []),
        *((base.sms_blocked_destinations or []) if base else []),
    ]
    destination = (sim.msisdn or "").lstrip("+")
    if any(destination.startswith(str(prefix).lstrip("+")) for prefix in blocked if prefix):
        raise ValidationError(
            {"destination": [f"SMS to {destination} is blocked by the SIM's limits."]},
            code="destination_blocked",
        )
    if allowed and not any(
        destination.startswith(str(prefix).lstrip("+")) for prefix in allowed if prefix
    ):
        raise ValidationError(
            {"destination": [f"SMS to {destination} is not in the allowed destinations."]},
            code="destination_not_allowed",
        )
