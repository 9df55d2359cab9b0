"""What may be sent: message length and alphabet, SIM state, destination limits."""

from core.errors import Conflict, InvalidInput
from sims.models import Sim
from sims.selectors import effective_limits
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
        raise InvalidInput({"message": ["The message must not be empty."]}, kind="blank")
    if encoding == SmsEncoding.GSM7:
        invalid = gsm7_invalid_characters(message)
        if invalid:
            shown = " ".join(repr(c) for c in invalid[:10])
            raise InvalidInput(
                {
                    "message": [
                        f"Characters outside the GSM 7-bit alphabet: {shown}. "
                        "Use encoding UCS2 for them."
                    ]
                },
                kind="gsm7_alphabet",
            )
        length = gsm7_septets(message)
        if length > GSM7_MAX_SEPTETS:
            raise InvalidInput(
                {
                    "message": [
                        f"A GSM7 message holds at most {GSM7_MAX_SEPTETS} characters (each of "
                        f"^{{}}\\[~]|€ counts as two); this one needs {length}."
                    ]
                },
                kind="max_length",
            )
    else:
        length = ucs2_units(message)
        if length > UCS2_MAX_UNITS:
            raise InvalidInput(
                {
                    "message": [
                        f"A UCS2 message holds at most {UCS2_MAX_UNITS} characters; this one "
                        f"needs {length}."
                    ]
                },
                kind="max_length",
            )


def check_can_receive(*, sim: Sim) -> None:
    """The SIM must be enabled and its MSISDN allowed by the SIM's and organization's limits.

    Which destinations the limits allow is ``sims.selectors.EffectiveLimits``'s rule.
    """
    if not sim.is_enabled:
        raise Conflict(
            f"The SIM is {sim.status}; only an enabled SIM can receive SMS.",
            details={"iccid": sim.iccid, "status": sim.status},
        )
    refusal = effective_limits(sim=sim).refuses_destination(sim.msisdn or "")
    destination = (sim.msisdn or "").lstrip("+")
    if refusal == "blocked":
        raise InvalidInput(
            {"destination": [f"SMS to {destination} is blocked by the SIM's limits."]},
            kind="destination_blocked",
        )
    if refusal == "not_allowed":
        raise InvalidInput(
            {"destination": [f"SMS to {destination} is not in the allowed destinations."]},
            kind="destination_not_allowed",
        )
