"""Request and response plumbing shared by the simulator's views: errors, paging, bodies.

1NCE answers errors in two shapes: the v2 documents define ``{error_code, error_token,
message}``; the v1 documents define no error body, so v1 errors carry the API gateway's
``{"message": ...}``.
"""

import json
import math
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse, JsonResponse

from simulators.onence.models import OnenceAccount, OnenceSim

_V2_ERRORS = {
    400: (1400, "BadRequest"),
    401: (1401, "Unauthorized"),
    404: (1404, "NotFound"),
    405: (1405, "MethodNotAllowed"),
    409: (1409, "Conflict"),
    422: (1422, "UnprocessableEntity"),
    429: (1429, "TooManyRequests"),
    500: (1500, "InternalServerError"),
    502: (1502, "BadGateway"),
    503: (1503, "ServiceUnavailable"),
    504: (1504, "GatewayTimeout"),
}


class ApiError(Exception):
    """An error answer; the endpoint wrapper renders it in the path's version's shape."""

    def __init__(self, status: int, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def api_version(request: HttpRequest) -> str:
    return "v2" if "/v2/" in request.path else "v1"


def error_response(request: HttpRequest, error: ApiError) -> HttpResponse:
    if api_version(request) == "v2":
        code, token = _V2_ERRORS.get(error.status, (1000 + error.status, "Error"))
        body = {"error_code": code, "error_token": token, "message": error.message}
    else:
        body = {"message": error.message}
    response = JsonResponse(body, status=error.status)
    for name, value in error.headers.items():
        response[name] = value
    return response


def json_response(data, *, status: int = 200, headers: dict | None = None) -> HttpResponse:
    response = JsonResponse(data, status=status, safe=False)
    for name, value in (headers or {}).items():
        response[name] = str(value)
    return response


def empty_response(status: int, headers: dict | None = None) -> HttpResponse:
    """An answer without a body (1NCE's 200/201 for queued writes)."""
    response = HttpResponse(status=status)
    del response["Content-Type"]
    for name, value in (headers or {}).items():
        response[name] = str(value)
    return response


def read_json(request: HttpRequest):
    """The request's JSON body; 400 when it is missing or not JSON."""
    try:
        return json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "Request body is not valid JSON.") from None


def int_param(request: HttpRequest, name: str, *, default: int, low: int, high: int) -> int:
    raw = request.GET.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        message = f'Cannot parse parameter {name} as Int: For input string "{raw}"'
        raise ApiError(400, message) from None
    if not low <= value <= high:
        raise ApiError(400, f"Parameter {name} must be between {low} and {high}.")
    return value


@dataclass
class Page:
    number: int
    size: int
    total: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def headers(self) -> dict:
        """1NCE's paging headers."""
        return {
            "X-Count-Per-Page": self.size,
            "X-Current-Page": self.number,
            "X-Total-Count": self.total,
            "X-Total-Pages": math.ceil(self.total / self.size),
        }


def paginate(request, queryset, *, size_param: str, default: int, maximum: int):
    """The requested page of ``queryset`` as a list, and the ``Page`` describing it."""
    number = int_param(request, "page", default=1, low=1, high=10**9)
    size = int_param(request, size_param, default=default, low=1, high=maximum)
    page = Page(number=number, size=size, total=queryset.count())
    return list(queryset[page.offset : page.offset + size]), page


def find_sim(account: OnenceAccount, iccid: str) -> OnenceSim:
    """The account's SIM with this 19-digit ICCID; 404 for anything else (another's SIM too)."""
    if len(iccid) == 19 and iccid.isdigit():
        sim = OnenceSim.objects.filter(account=account, iccid=iccid).first()
        if sim is not None:
            return sim
    raise ApiError(404, f"SIM with ICCID {iccid} not found.")
