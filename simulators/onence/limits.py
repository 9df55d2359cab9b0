"""The self-set monthly limits 1NCE lets a customer choose from (ids as ``SetLimitsRequest``)."""

DATA_LIMITS = {1: "16", 2: "32", 3: "64", 4: "128", 5: "256", 6: "512", 7: "1024"}
SMS_LIMITS = {1: "10", 2: "25", 3: "50", 4: "100", 5: "250"}

# Path name of a service -> (key in Values_for_Limits, options, unit, account field)
SERVICES = {
    "data": ("data", DATA_LIMITS, "MB", "data_limit_id"),
    "smsMT": ("smsMt", SMS_LIMITS, "SMS", "sms_mt_limit_id"),
    "smsMO": ("smsMo", SMS_LIMITS, "SMS", "sms_mo_limit_id"),
}


def limit_value(service: str, limit_id: int) -> dict:
    """One limit as ``CurrentLimitData`` / ``CurrentLimitSMS``."""
    _, options, unit, _ = SERVICES[service]
    return {"id": limit_id, "limit": options[limit_id], "unit": unit}


def current_limits(account) -> dict:
    """The account's limits as ``Values_for_Limits``."""
    return {
        key: limit_value(service, getattr(account, field))
        for service, (key, _, _, field) in SERVICES.items()
    }
