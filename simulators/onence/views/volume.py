"""Top-ups (single v2, bulk and auto v1), SIM extension and the self-set limits (v1)."""

from django.http import HttpResponse

from simulators.onence import clock, limits, services
from simulators.onence.endpoint import endpoint
from simulators.onence.http import ApiError, empty_response, json_response, read_json
from simulators.onence.models import OnenceOrder
from simulators.onence.views.common import (
    base_url,
    changeable_sim,
    iccid_list,
    payment_method,
    reject_expired,
)

_LIMIT_FIELDS = [("dataLimitId", "data"), ("smsMtLimitId", "smsMT"), ("smsMoLimitId", "smsMO")]


@endpoint("POST")
def topup_one(request, account, iccid):
    """``POST /v2/sims/{iccid}/topup``: 201, ``Location`` names the order."""
    method = payment_method(request)
    now = clock.now()
    sim = changeable_sim(account, iccid, now)
    order = services.top_up(
        account=account, sims=[sim], at=now, payment_method=method, user=account.client_id
    )
    return _created(request, order)


@endpoint("POST")
def topup_many(request, account):
    """``POST /v1/sims/topup`` with a list of ICCIDs: 201, ``Location`` names the order."""
    method = payment_method(request)
    sims = iccid_list(account, read_json(request))
    now = clock.now()
    reject_expired(sims, now)
    order = services.top_up(
        account=account, sims=sims, at=now, payment_method=method, user=account.client_id
    )
    return _created(request, order)


@endpoint("POST")
def auto_topup(request, account):
    """``POST /v1/sims/autoTopup`` ``{"enabled", "iccids"}``: 201 without a body."""
    body = read_json(request)
    if not isinstance(body, dict) or not isinstance(body.get("enabled"), bool):
        raise ApiError(400, "enabled must be a boolean.")
    sims = iccid_list(account, body.get("iccids"))
    reject_expired(sims, clock.now())
    services.set_auto_topup(sims=sims, enabled=body["enabled"])
    return empty_response(201)


@endpoint("POST")
def extension(request, account):
    """``POST /v1/sims/extension`` ``{"iccids", "productId"}``: renews lifetime and quotas."""
    method = payment_method(request)
    body = read_json(request)
    if not isinstance(body, dict):
        raise ApiError(400, "Request body must be a JSON object.")
    sims = iccid_list(account, body.get("iccids"))
    services.extend(
        account=account, sims=sims, at=clock.now(), payment_method=method, user=account.client_id
    )
    return empty_response(201)


@endpoint("GET", "POST")
def global_limits(request, account):
    """``GET /v1/sims/limits`` (``Values_for_Limits``); ``POST`` sets them (201)."""
    if request.method == "GET":
        return json_response(limits.current_limits(account))
    body = read_json(request)
    if not isinstance(body, dict):
        raise ApiError(400, "Request body must be a JSON object.")
    values = {}
    for name, service in (
        ("dataLimitId", "data"),
        ("smsMtLimitId", "smsMT"),
        ("smsMoLimitId", "smsMO"),
    ):
        if name in body:
            _, options, _, field = limits.SERVICES[service]
            if body[name] not in options:
                raise ApiError(400, f"{name} must be one of {sorted(options)}.")
            values[field] = body[name]
    if values:
        services.set_limits(account=account, values=values)
    return empty_response(201)


@endpoint("GET")
def service_limits(request, account, service):
    """``GET /v1/sims/{service}/limits``, typed by the contract as ``Values_for_Limits``.

    The contract describes "a list of selectable limits" but gives the one-object schema, so
    the answer is that object holding the service's current choice.
    """
    if service not in limits.SERVICES:
        raise ApiError(404, f"Unknown service {service}.")
    key, _, _, field = limits.SERVICES[service]
    return json_response({key: limits.limit_value(service, getattr(account, field))})


def _created(request, order: OnenceOrder) -> HttpResponse:
    location = f"{base_url(request)}/v1/orders/{order.order_number}"
    return empty_response(201, {"Location": location})
