"""Helpers the simulator's views share."""

from django.http import HttpRequest

from simulators.onence.http import ApiError, find_sim
from simulators.onence.models import OnenceAccount, OnenceSim, OnenceSimStatus
from simulators.onence.quota import is_expired

PAYMENT_METHODS = {"banktransfer", "creditcard", "monthlyinvoice", "boleto"}
_MOUNT = "/management-api"


def base_url(request: HttpRequest) -> str:
    """The absolute base URL of the simulated API (``.../management-api``)."""
    path = request.path
    return request.build_absolute_uri(path[: path.index(_MOUNT) + len(_MOUNT)])


def changeable_sim(account: OnenceAccount, iccid: str, at) -> OnenceSim:
    """The SIM a write targets; 422 when it is expired (only an extension may change it)."""
    sim = find_sim(account, iccid)
    reject_expired([sim], at)
    return sim


def reject_expired(sims: list[OnenceSim], at) -> None:
    expired = [sim.iccid for sim in sims if is_expired(sim, at)]
    if expired:
        raise ApiError(
            422,
            "The following SIMs are expired and cannot be modified via API. Only extensions "
            f"are permitted: {', '.join(expired)}",
        )


def payment_method(request: HttpRequest) -> str:
    """The ``payment_method`` query parameter; empty means bank transfer, unknown is a 400."""
    value = request.GET.get("payment_method") or "banktransfer"
    if value not in PAYMENT_METHODS:
        raise ApiError(400, "Payment method used is not valid.")
    return value


def iccid_list(account: OnenceAccount, values) -> list[OnenceSim]:
    """The account's SIMs for a JSON list of ICCIDs (400 if not a list, 404 if one is unknown)."""
    if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
        raise ApiError(400, "Expected a non-empty list of ICCIDs.")
    sims = {sim.iccid: sim for sim in OnenceSim.objects.filter(account=account, iccid__in=values)}
    missing = [iccid for iccid in values if iccid not in sims]
    if missing:
        raise ApiError(404, f"SIMs not found: {', '.join(missing)}")
    return [sims[iccid] for iccid in dict.fromkeys(values)]


def sim_changes(body, *, iccid: str | None, required: tuple[str, ...]) -> dict:
    """Validated label / imei_lock / status values of a SIM update body (400 when invalid)."""
    if not isinstance(body, dict):
        raise ApiError(400, "Request body must be a JSON object.")
    missing = [field for field in required if field not in body]
    if missing:
        raise ApiError(400, f"Missing attributes: {', '.join(missing)}")
    if iccid is not None and "iccid" in body and body["iccid"] != iccid:
        raise ApiError(400, "The ICCID in the body does not match the ICCID in the path.")
    changes = {}
    if "label" in body:
        if not isinstance(body["label"], str) or len(body["label"]) > 255:
            raise ApiError(400, "label must be a string of at most 255 characters.")
        changes["label"] = body["label"]
    if "imei_lock" in body:
        if not isinstance(body["imei_lock"], bool):
            raise ApiError(400, "imei_lock must be a boolean.")
        changes["imei_lock"] = body["imei_lock"]
    if "status" in body:
        if body["status"] not in OnenceSimStatus.values:
            raise ApiError(400, "status must be Enabled or Disabled.")
        changes["status"] = body["status"]
    return changes
