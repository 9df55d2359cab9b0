"""Horizon's answers: HAL+JSON resources and ``application/problem+json`` errors.

Error bodies follow Horizon's documented shape: ``type`` (a URL under
https://stellar.org/horizon-errors/), ``title``, ``status``, ``detail`` and, for refused
transactions, ``extras`` with ``envelope_xdr``, ``result_xdr``, ``result_codes`` and ``hash``.
"""

import json

from django.http import HttpResponse

ERRORS = "https://stellar.org/horizon-errors/"

_PROBLEMS = {
    "bad_request": (400, "Bad Request", "The request you sent was invalid in some way."),
    "transaction_malformed": (
        400,
        "Transaction Malformed",
        "Horizon could not decode the transaction envelope in this request. A transaction "
        "should be an XDR TransactionEnvelope struct encoded using base64.",
    ),
    "transaction_failed": (
        400,
        "Transaction Failed",
        "The transaction failed when submitted to the stellar network. The `extras.result_codes` "
        "field on this response contains further details.  Descriptions of each code can be "
        "found at: https://developers.stellar.org/docs/data/apis/horizon/api-reference/errors/"
        "result-codes/transactions",
    ),
    "not_found": (
        404,
        "Resource Missing",
        "The resource at the url requested was not found.  This usually occurs for one of two "
        "reasons:  The url requested is not valid, or no data in our database could be found "
        "with the parameters provided.",
    ),
    "method_not_allowed": (405, "Method Not Allowed", "This endpoint does not support it."),
    "server_error": (
        500,
        "Internal Server Error",
        "An error occurred while processing this request.",
    ),
    "service_unavailable": (503, "Service Unavailable", "Horizon is temporarily unavailable."),
    "timeout": (
        504,
        "Timeout",
        "Your request timed out before completing.  Please try your request again. If you are "
        "submitting a transaction make sure you are sending exactly the same payload (same "
        "signed transaction envelope).",
    ),
}
_BY_STATUS = {500: "server_error", 502: "server_error", 503: "service_unavailable", 504: "timeout"}


class Problem(Exception):
    def __init__(self, kind: str, *, extras: dict | None = None, detail: str = ""):
        super().__init__(kind)
        self.kind = kind
        self.extras = extras
        self.detail = detail


def problem_response(kind: str, *, extras: dict | None = None, detail: str = "") -> HttpResponse:
    status, title, default_detail = _PROBLEMS[kind]
    body = {
        "type": ERRORS + kind,
        "title": title,
        "status": status,
        "detail": detail or default_detail,
    }
    if extras is not None:
        body["extras"] = extras
    return HttpResponse(json.dumps(body), status=status, content_type="application/problem+json")


def status_problem(status: int) -> HttpResponse:
    response = problem_response(_BY_STATUS.get(status, "server_error"))
    response.status_code = status
    return response


def hal_response(body: dict, status: int = 200) -> HttpResponse:
    return HttpResponse(json.dumps(body), status=status, content_type="application/hal+json")
