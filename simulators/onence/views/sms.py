"""SMS of a SIM (v2): list (``page``/``per_page``), send, details, cancel."""

import re
from datetime import datetime

from simulators.onence import clock, services
from simulators.onence import sms as sms_logic
from simulators.onence.endpoint import endpoint
from simulators.onence.http import ApiError, find_sim, json_response, paginate, read_json
from simulators.onence.models import OnenceSimStatus, OnenceSms, OnenceSmsStatus
from simulators.onence.usage import catch_up
from simulators.onence.views.common import changeable_sim

MAX_PAYLOAD = 160
_HEX = re.compile(r"^[0-9a-fA-F]*$")


@endpoint("GET", "POST")
def sms_list(request, account, iccid):
    """``GET`` lists a SIM's MT and MO messages, newest first; ``POST`` sends an MT message."""
    if request.method == "POST":
        return _send(request, account, iccid)
    sim = find_sim(account, iccid)
    catch_up([sim])  # devices' MO messages arrive with their usage
    queryset = (
        OnenceSms.objects.filter(sim=sim)
        .exclude(status=OnenceSmsStatus.CANCELLED)
        .select_related("sim")
        .order_by("-submit_date", "-id")
    )
    messages, page = paginate(request, queryset, size_param="per_page", default=20, maximum=1000)
    sms_logic.progress(messages, clock.now())
    return json_response([sms_logic.payload(sms) for sms in messages], headers=page.headers)


@endpoint("GET", "DELETE")
def sms_detail(request, account, iccid, sms_id):
    """``GET`` one message; ``DELETE`` cancels a message that is still buffered."""
    sim = find_sim(account, iccid)
    sms = (
        OnenceSms.objects.filter(sim=sim, pk=sms_id)
        .exclude(status=OnenceSmsStatus.CANCELLED)
        .select_related("sim")
        .first()
    )
    if sms is None:
        raise ApiError(404, f"SMS {sms_id} not found.")
    now = clock.now()
    sms_logic.progress([sms], now)
    if request.method == "GET":
        return json_response(sms_logic.payload(sms))
    if sms.status != OnenceSmsStatus.PENDING:
        raise ApiError(400, f"SMS {sms_id} is no longer buffered and cannot be cancelled.")
    services.cancel_sms(sms=sms, at=now)
    return json_response({"id": str(sms.pk)})


def _send(request, account, iccid):
    message = _message(read_json(request))
    now = clock.now()
    sim = changeable_sim(account, iccid, now)
    if sim.status == OnenceSimStatus.DISABLED:
        raise ApiError(409, "The SIM is disabled.")
    if sim.sms_volume <= 0:
        raise ApiError(409, "The SIM's SMS quota is exhausted.")
    sms = services.send_sms(sim=sim, message=message, at=now)
    return json_response({"id": str(sms.pk)}, status=201)


def _message(body) -> dict:
    """The validated fields of an ``SMSMessage``."""
    if not isinstance(body, dict):
        raise ApiError(400, "Request body must be an SMS message object.")
    message = {}
    for field in ("source_address", "payload", "udh"):
        if field in body:
            if not isinstance(body[field], str):
                raise ApiError(400, f"{field} must be a string.")
            message[field] = body[field]
    if not message.get("payload") and not message.get("udh"):
        raise ApiError(400, "payload must not be empty.")
    if len(message.get("payload", "")) > MAX_PAYLOAD:
        raise ApiError(400, f"payload must be at most {MAX_PAYLOAD} characters.")
    if not _HEX.match(message.get("udh", "")):
        raise ApiError(400, "udh must be a hex string.")
    if "dcs" in body:
        if not isinstance(body["dcs"], int) or isinstance(body["dcs"], bool):
            raise ApiError(400, "dcs must be an integer.")
        message["dcs"] = body["dcs"]
    if "source_address_type" in body:
        kind = body["source_address_type"]
        if not isinstance(kind, dict) or kind.get("id") not in (145, 161, 208):
            raise ApiError(400, "source_address_type.id must be 145, 161 or 208.")
        message["source_address_type"] = kind["id"]
    if "expiry_date" in body:
        try:
            message["expiry_date"] = datetime.fromisoformat(str(body["expiry_date"]))
        except ValueError:
            raise ApiError(400, "expiry_date must be an ISO 8601 date-time.") from None
        if message["expiry_date"].tzinfo is None:
            raise ApiError(400, "expiry_date must carry a time zone.")
    return message
