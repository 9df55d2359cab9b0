"""The PMNL v5 simulator's HTTP surface: token endpoint, subscribers, user requests.

Every call but the token one needs a valid bearer token (401) and the account's
``x-api-key`` (403). Faults (``PmnlSimFault``) apply before the call is handled.
"""

import base64
import binascii
import json
import time
from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from simulators.pmnl import state
from simulators.pmnl.models import PmnlSimRequest, PmnlSimRequestLog


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"message": message}, status=status)


def _fault_response(request: HttpRequest, account) -> tuple[JsonResponse | None, str]:
    fault = state.fault_of(account)
    if fault is None or not fault.mode:
        return None, ""
    parts = [part.strip() for part in fault.paths.split(",") if part.strip()]
    if parts and not any(part in request.path for part in parts):
        return None, ""
    if fault.mode == "refused":
        return _error(503, "Connection refused"), "refused"
    if fault.mode == "timeout":
        time.sleep(fault.hang_seconds)
        return None, "timeout"
    if fault.mode == "error":
        return _error(fault.error_status, "Internal error: db-7 stack trace ..."), "error"
    return None, ""


def _log(request, response, account, fault: str) -> None:
    PmnlSimRequestLog.objects.create(
        method=request.method,
        path=request.get_full_path()[:512],
        status=response.status_code,
        client_id=account.client_id if account else "",
        fault=fault,
    )


def endpoint(*methods: str) -> Callable:
    def decorator(view: Callable) -> Callable:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, **kwargs):
            account = state.account_for_bearer(request.headers.get("Authorization", ""))
            fault = ""
            if request.method not in methods:
                response = _error(405, "Method not allowed.")
            elif account is None:
                response = _error(401, "Unauthorized")
            elif request.headers.get("x-api-key", "") != account.api_key:
                response = _error(403, "Invalid API key")
            else:
                response, fault = _fault_response(request, account)
                if response is None:
                    try:
                        response = view(request, account, **kwargs)
                    except state.SimError as error:
                        response = _error(error.status, error.message)
            _log(request, response, account, fault)
            return response

        return wrapper

    return decorator


def _body(request):
    try:
        return json.loads(request.body or b"null")
    except ValueError:
        raise state.SimError(400, "Malformed JSON.") from None


@csrf_exempt
def token(request: HttpRequest) -> JsonResponse:
    """OAuth2 client credentials: form-encoded grant, Basic client id and secret."""
    if request.method != "POST":
        return _error(405, "Method not allowed.")
    if request.POST.get("grant_type") != "client_credentials":
        return JsonResponse({"error": "unsupported_grant_type"}, status=400)
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        decoded = ""
    client_id, _, secret = decoded.partition(":")
    account = (
        state.account_for_credentials(client_id, secret) if scheme.lower() == "basic" else None
    )
    response, fault = _fault_response(request, account) if account else (None, "")
    if response is None:
        if account is None:
            response = JsonResponse({"error": "invalid_client"}, status=401)
        else:
            access_token, ttl = state.issue_token(account)
            response = JsonResponse(
                {"access_token": access_token, "token_type": "Bearer", "expires_in": ttl}
            )
    _log(request, response, account, fault)
    return response


@endpoint("POST")
def subscribers(request, account):
    payload = _body(request)
    state.check_create(payload)
    if request.GET.get("queue_request", "false").lower() == "true":
        return JsonResponse(state.queue(account, "CREATE", payload), status=202)
    state.create_now(account, payload)
    body = state.completed_request(account, "CREATE")
    body.pop("request_info")
    return JsonResponse(body)


@endpoint("GET", "DELETE")
def subscriber(request, account, identifier: str):
    row = state.find(account, identifier)
    if request.method == "DELETE":
        row.delete()
        return JsonResponse(state.completed_request(account, "DELETE"))
    return JsonResponse(state.read(row))


@endpoint("PATCH")
def subscriber_aspect(request, account, identifier: str, aspect: str):
    row = state.find(account, identifier)
    state.update(row, aspect, _body(request))
    return JsonResponse(state.completed_request(account, f"UPDATE_{aspect}"))


@endpoint("GET")
def user_request(request, account, request_id: str):
    row = PmnlSimRequest.objects.filter(account=account, pk=request_id).first()
    if row is None:
        raise state.SimError(404, "Request not found")
    return JsonResponse(state.render_request(state.advance(row)))
