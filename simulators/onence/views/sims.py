"""SIMs: list, detail, updates (v2 and v1), status, connectivity, reset, events, usage, quotas."""

from datetime import date, timedelta

from simulators.onence import clock, connectivity, render, services
from simulators.onence.endpoint import endpoint
from simulators.onence.http import (
    ApiError,
    empty_response,
    find_sim,
    json_response,
    paginate,
    read_json,
)
from simulators.onence.models import OnenceEvent, OnenceSim, OnenceUsageDay
from simulators.onence.usage import catch_up
from simulators.onence.views.common import changeable_sim, reject_expired, sim_changes

_FILTERS = {"imei", "ip_address"}
USAGE_HISTORY_DAYS = 183  # "The output is limited to the last 6 months."


@endpoint("GET")
def sim_list(request, account):
    """``GET /v2/sims``: paged (pageSize max 100), ``q`` filter and ``sort`` on imei/ip_address."""
    queryset = OnenceSim.objects.filter(account=account).select_related("account")
    for criterion in filter(None, request.GET.get("q", "").split(",")):
        field, _, value = criterion.partition(":")
        if field.strip() not in _FILTERS:
            raise ApiError(400, f"Unsupported filter: {field}")
        queryset = queryset.filter(**{field.strip(): value.strip()})
    ordering = []
    for key in filter(None, request.GET.get("sort", "").split(",")):
        if key.strip().lstrip("-") not in _FILTERS:
            raise ApiError(400, f"Unsupported sort key: {key}")
        ordering.append(key.strip())
    queryset = queryset.order_by(*ordering, "iccid")
    sims, page = paginate(request, queryset, size_param="pageSize", default=10, maximum=100)
    catch_up(sims)
    return json_response([render.sim(sim) for sim in sims], headers=page.headers)


@endpoint("GET", "PUT")
def sim_detail(request, account, iccid):
    """``GET /v2/sims/{iccid}`` and ``PUT /v2/sims/{iccid}`` (200, no body)."""
    if request.method == "GET":
        sim = find_sim(account, iccid)
        catch_up([sim])
        return json_response(render.sim(sim))
    now = clock.now()
    changes = sim_changes(read_json(request), iccid=iccid, required=())
    sim = changeable_sim(account, iccid, now)
    services.update_sims(changes=[(sim, changes)], at=now, user=account.client_id)
    return empty_response(200)


@endpoint("PUT")
def sim_update_v1(request, account, iccid):
    """``PUT /v1/sims/{iccid}``: ``iccid`` and ``status`` are required; 200 without a body."""
    now = clock.now()
    changes = sim_changes(read_json(request), iccid=iccid, required=("iccid", "status"))
    sim = changeable_sim(account, iccid, now)
    services.update_sims(changes=[(sim, changes)], at=now, user=account.client_id)
    return empty_response(200)


@endpoint("POST")
def sim_bulk_update(request, account):
    """``POST /v1/sims``: a list of SIM updates, answered 201 ("queued", applied at once)."""
    body = read_json(request)
    if not isinstance(body, list) or not body:
        raise ApiError(400, "Expected a non-empty list of SIM updates.")
    changes = [sim_changes(item, iccid=None, required=("iccid", "status")) for item in body]
    iccids = [item["iccid"] for item in body]
    sims = {sim.iccid: sim for sim in OnenceSim.objects.filter(account=account, iccid__in=iccids)}
    missing = [iccid for iccid in iccids if iccid not in sims]
    if missing:
        raise ApiError(404, f"SIMs not found: {', '.join(missing)}")
    now = clock.now()
    reject_expired(list(sims.values()), now)
    services.update_sims(
        changes=[(sims[iccid], values) for iccid, values in zip(iccids, changes, strict=True)],
        at=now,
        user=account.client_id,
    )
    return empty_response(201)


@endpoint("GET")
def sim_status(request, account, iccid):
    """``GET /v2/sims/{iccid}/status``."""
    sim = find_sim(account, iccid)
    catch_up([sim])
    return json_response(connectivity.status_payload(sim, clock.now()))


@endpoint("GET")
def sim_connectivity_info(request, account, iccid):
    """``GET /v1/sims/{iccid}/connectivity_info`` (``subscriber`` default true, ``ussd`` false)."""
    sim = find_sim(account, iccid)
    flags = {
        name: request.GET.get(name, default).lower() == "true"
        for name, default in (("subscriber", "true"), ("ussd", "false"))
    }
    return json_response(connectivity.connectivity_info(sim, clock.now(), **flags))


@endpoint("POST")
def sim_reset(request, account, iccid):
    """``POST /v2/sims/{iccid}/reset``: 201 without a body; the SIM drops off for a moment."""
    now = clock.now()
    sim = changeable_sim(account, iccid, now)
    services.reset_connectivity(sim=sim, at=now, user=account.client_id)
    return empty_response(201)


@endpoint("GET")
def sim_events(request, account, iccid):
    """``GET /v2/sims/{iccid}/events``: a plain array, newest first, pageSize max 1000."""
    sim = find_sim(account, iccid)
    connectivity.materialise_events(sim, clock.now())
    queryset = OnenceEvent.objects.filter(sim=sim).order_by("-timestamp", "-id")
    events, page = paginate(request, queryset, size_param="pageSize", default=10, maximum=1000)
    return json_response([render.event(event, sim) for event in events], headers=page.headers)


@endpoint("GET")
def sim_usage(request, account, iccid):
    """``GET /v1/sims/{iccid}/usage``: ``start_dt``/``end_dt`` (YYYY-MM-DD), today without them."""
    sim = find_sim(account, iccid)
    catch_up([sim])
    today = clock.now().date()
    start = _date_param(request, "start_dt", today)
    end = _date_param(request, "end_dt", today)
    if end < start:
        raise ApiError(400, "end_dt must not be before start_dt.")
    start = max(start, today - timedelta(days=USAGE_HISTORY_DAYS))
    rows = list(
        OnenceUsageDay.objects.filter(sim=sim, date__gte=start, date__lte=end).order_by("date")
    )
    return json_response(render.usage(rows))


@endpoint("GET")
def sim_quota(request, account, iccid, service):
    """``GET /v2/sims/{iccid}/quota/data`` and ``.../quota/sms``."""
    sim = find_sim(account, iccid)
    catch_up([sim])
    return json_response(render.quota(sim, service, clock.now()))


def _date_param(request, name: str, default: date) -> date:
    raw = request.GET.get(name)
    if not raw:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ApiError(400, f"{name} must be a date in the format YYYY-MM-DD.") from None
