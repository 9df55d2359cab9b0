"""Each domain error (``core.errors``) answers one status and code, given in one place
(``core.exceptions.domain_status``): services raise them and never name a status."""

import pytest

from accounts import services as account_services
from core import errors
from core.exceptions import domain_status


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (errors.NotFound(), (404, "NOT_FOUND")),
        (errors.NotAuthenticated(), (401, "UNAUTHORIZED")),
        (errors.PermissionDenied(), (403, "FORBIDDEN")),
        (errors.InvalidInput({"name": "Required."}), (422, "VALIDATION_ERROR")),
        (errors.Conflict(), (409, "CONFLICT")),
        (errors.UpstreamNotConnected(), (409, "UPSTREAM_NOT_CONFIGURED")),
        (errors.Unavailable(), (503, "SERVICE_UNAVAILABLE")),
        (errors.InvalidIccid(), (400, "INVALID_ICCID")),
        (errors.BadRequest(), (400, "BAD_REQUEST")),
    ],
)
def test_each_domain_error_has_its_status_and_code(error, expected):
    assert domain_status(error) == expected


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (account_services.InvalidCredentials(), (401, "Invalid username or password.")),
        (
            account_services.InvalidRefreshToken(),
            (401, "Invalid, expired or revoked refresh token."),
        ),
        (account_services.TokenNotFound(), (404, "Token not found or already revoked.")),
    ],
)
def test_session_refusals_are_domain_errors_with_one_message(error, expected):
    assert (domain_status(error)[0], str(error)) == expected
