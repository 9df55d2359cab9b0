"""The wrapper every simulator view goes through: method check, bearer auth, faults, log."""

import base64
import binascii
import time
from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from simulators.onence.accounts import account_for_bearer
from simulators.onence.faults import log_request, run_with_faults
from simulators.onence.http import ApiError, error_response
from simulators.onence.models import OnenceAccount


def endpoint(*methods: str, auth: bool = True) -> Callable:
    """Make ``view(request, account, **kwargs)`` a simulator endpoint answering ``methods``.

    With ``auth`` the request needs a valid bearer token (else 401) and ``account`` is its
    owner; without it ``account`` is the account a Basic header names (for fault scoping
    only: the view checks the credentials itself).
    """

    def decorator(view: Callable) -> Callable:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, **kwargs) -> HttpResponse:
            started = time.perf_counter()
            account, fault = None, ""
            try:
                if request.method not in methods:
                    raise ApiError(405, "Method not allowed.", {"Allow": ", ".join(methods)})
                header = request.headers.get("Authorization", "")
                account = account_for_bearer(header) if auth else named_in_basic(header)
                if auth and account is None:
                    raise ApiError(401, "Unauthorized")
                response, fault = run_with_faults(
                    request, account, lambda: _answer(view, request, account, kwargs)
                )
            except ApiError as error:
                response = error_response(request, error)
            log_request(request, response, account, fault, started)
            return response

        return wrapper

    return decorator


def basic_credentials(header: str) -> tuple[str, str] | None:
    """``(username, password)`` from a Basic header (either may be empty), or None."""
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    username, _, password = decoded.partition(":")
    return username, password


def named_in_basic(header: str) -> OnenceAccount | None:
    credentials = basic_credentials(header)
    if not credentials:
        return None
    return OnenceAccount.objects.filter(client_id=credentials[0]).first()


def _answer(view, request, account, kwargs) -> HttpResponse:
    try:
        return view(request, account, **kwargs)
    except ApiError as error:
        return error_response(request, error)
