"""``POST /oauth/token``: Basic client credentials in, a bearer token out."""

from simulators.onence import accounts
from simulators.onence.endpoint import basic_credentials, endpoint
from simulators.onence.faults import token_ttl
from simulators.onence.http import ApiError, json_response, read_json


@endpoint("POST", auth=False)
def token(request, account):
    """Issue a token (JSON body ``{"grant_type": "client_credentials"}`` only).

    Errors are the contract's 400 bodies ``{"statusCode", "errorCode", "message"}``.
    """
    if request.content_type != "application/json":
        return _bad_request("UnsupportedContentTypeError", "Content-Type not supported")
    credentials = basic_credentials(request.headers.get("Authorization", ""))
    if not credentials or not credentials[0]:
        return _bad_request(
            "AuthValidationError", "Auth header validation error: Missing attributes 'username'"
        )
    if not credentials[1]:
        return _bad_request(
            "AuthValidationError", "Auth header validation error: Missing attributes 'password'"
        )
    try:
        body = read_json(request)
    except ApiError:
        body = None
    if not isinstance(body, dict) or "grant_type" not in body:
        return _bad_request(
            "BodyValidationError", "Request body validation error: Missing attributes 'grant_type'"
        )
    if body["grant_type"] != "client_credentials":
        return _bad_request(
            "BodyValidationError", "Request body validation error: Invalid 'grant_type'"
        )
    owner = accounts.check_credentials(*credentials)
    if owner is None:
        message = "Incorrect username or password." if account else "User does not exist."
        return _bad_request("CognitoAuthenticationError", message)
    ttl = token_ttl(owner, accounts.TOKEN_TTL_SECONDS)
    issued = accounts.issue_token(owner, ttl)
    return json_response(
        {
            "status_code": 200,
            "access_token": issued.key,
            "token_type": "bearer",
            "expires_in": ttl,
            "userId": owner.client_id,
            "scope": "all",
        }
    )


def _bad_request(code: str, message: str):
    return json_response({"statusCode": 400, "errorCode": code, "message": message}, status=400)
