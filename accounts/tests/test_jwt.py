import jwt
import pytest
from django.conf import settings
from prometheus_client import REGISTRY
from rest_framework.test import APIClient

from accounts.models import AuditLog, RefreshToken, Role
from accounts.tests.conftest import bearer
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def refresh(raw, path="/api/v1/auth/refresh"):
    return APIClient().post(path, {"refresh_token": raw})


def metric(name, **labels):
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_login_by_username_answers_the_token_union(make_user, login, organization):
    user = make_user(Role.OPERATOR)
    response = login(user)
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    assert body["user"] == {
        "id": user.pk,
        "username": user.username,
        "email": user.email,
        "role": "operator",
        "organization": organization.slug,
    }
    assert "data" not in body  # token answers are not wrapped
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["type"] == "access"
    assert claims["exp"] - claims["iat"] == 3600


def test_login_by_email(make_user):
    user = make_user(email="Ops@Example.com")
    response = APIClient().post(
        "/api/v1/auth/login", {"email": "ops@example.com", "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 200
    assert response.json()["user"]["id"] == user.pk


def test_wrong_password_and_unknown_user_answer_alike(make_user, login):
    user = make_user()
    wrong = login(user, password="not-the-password")
    unknown = login("nobody-here", password="not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["error"]["code"] == unknown.json()["error"]["code"] == "UNAUTHORIZED"
    assert wrong.json()["error"]["message"] == unknown.json()["error"]["message"]


def test_inactive_user_cannot_log_in(make_user, login):
    assert login(make_user(is_active=False)).status_code == 401


def test_login_missing_fields_is_422(login):
    response = APIClient().post("/api/v1/auth/login", {"password": "x"})
    assert response.status_code == 422
    assert response.json()["error"]["details"]["errors"][0]["loc"] == ["username"]


def test_logins_are_audited_and_counted(make_user, login):
    user = make_user()
    before_ok = metric("fleetops_logins_total", outcome="success")
    before_bad = metric("fleetops_logins_total", outcome="failure")
    login(user)
    login(user, password="wrong-password")
    assert metric("fleetops_logins_total", outcome="success") == before_ok + 1
    assert metric("fleetops_logins_total", outcome="failure") == before_bad + 1
    entries = AuditLog.objects.filter(operation="LOGIN", user=user).order_by("created_at", "id")
    assert [e.status for e in entries] == ["success", "failed"]
    assert entries[1].response_status == 401


def test_access_token_authenticates(make_user, login):
    user = make_user()
    token = login(user).json()["access_token"]
    response = bearer(token).get("/api/v1/auth/me")
    assert response.status_code == 200
    assert response.json()["data"]["username"] == user.username


def test_refresh_answers_a_new_access_token(make_user, login):
    tokens = login(make_user()).json()
    response = refresh(tokens["refresh_token"])
    assert response.status_code == 200
    body = response.json()
    assert body["access_token"] and body["access_token"] != tokens["access_token"]
    assert bearer(body["access_token"]).get("/api/v1/auth/me").status_code == 200


def test_refresh_rotates_the_refresh_token(make_user, login):
    user = make_user()
    first = login(user).json()
    second = refresh(first["refresh_token"]).json()
    assert second["refresh_token"] and second["refresh_token"] != first["refresh_token"]
    assert refresh(second["refresh_token"]).status_code == 200  # the new one works, once
    old, new = RefreshToken.objects.filter(user=user).order_by("created_at", "id")[:2]
    assert old.revoked_at is not None and old.family == new.family
    # The access token issued before the rotation still works: only reuse ends the session.
    assert bearer(first["access_token"]).get("/api/v1/auth/me").status_code == 200


def test_reusing_a_rotated_refresh_token_revokes_the_whole_session(make_user, login):
    user = make_user()
    first = login(user).json()
    other_session = login(user).json()
    second = refresh(first["refresh_token"]).json()
    third = refresh(second["refresh_token"]).json()

    reused = refresh(first["refresh_token"])  # a thief replays the stolen, rotated token
    assert reused.status_code == 401
    assert reused.json()["error"]["code"] == "UNAUTHORIZED"
    # Every token descended from that login is dead, access tokens included ...
    assert refresh(third["refresh_token"]).status_code == 401
    for access in (first["access_token"], second["access_token"], third["access_token"]):
        assert bearer(access).get("/api/v1/auth/me").status_code == 401
    # ... and the user's other session is untouched.
    assert bearer(other_session["access_token"]).get("/api/v1/auth/me").status_code == 200
    assert refresh(other_session["refresh_token"]).status_code == 200
    entry = AuditLog.objects.get(operation="REFRESH_TOKEN_REUSE")
    assert entry.user == user and entry.status == "failed"


def test_access_token_is_refused_as_refresh_token(make_user, login):
    tokens = login(make_user()).json()
    response = refresh(tokens["access_token"])
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNAUTHORIZED"


def test_garbage_refresh_token_is_401():
    assert refresh("not.a.jwt").status_code == 401


def test_deactivated_users_tokens_stop_working_at_once(make_user, login):
    user = make_user()
    tokens = login(user).json()
    user.is_active = False
    user.save()
    assert bearer(tokens["access_token"]).get("/api/v1/auth/me").status_code == 401
    assert refresh(tokens["refresh_token"]).status_code == 401


def test_refresh_tokens_are_stored_hashed_with_agent_and_ip(make_user, login):
    user = make_user()
    raw = login(user, HTTP_USER_AGENT="pytest-agent/1.0").json()["refresh_token"]
    record = RefreshToken.objects.get(user=user)
    assert record.token_hash != raw
    assert raw not in {record.token_hash, record.jti}
    assert record.user_agent == "pytest-agent/1.0"
    assert record.ip_address == "127.0.0.1"


def test_sixth_login_revokes_the_oldest_refresh_token(make_user, login, settings):
    settings.RATE_LIMIT_LOGIN_PER_MINUTE = 100
    user = make_user()
    refresh_tokens = [login(user).json()["refresh_token"] for _ in range(6)]
    assert refresh(refresh_tokens[0]).status_code == 401
    assert all(refresh(raw).status_code == 200 for raw in refresh_tokens[1:])
    assert RefreshToken.objects.filter(user=user, revoked_at__isnull=True).count() == 5


def test_logout_then_refresh_fails(make_user, login):
    tokens = login(make_user()).json()
    client = bearer(tokens["access_token"])
    response = client.post("/api/v1/auth/logout", {"refresh_token": tokens["refresh_token"]})
    assert response.status_code == 200
    assert response.json()["data"]["msg"] == "Logged out successfully"
    assert refresh(tokens["refresh_token"]).status_code == 401


def test_logout_also_ends_access_tokens_of_that_session(make_user, login):
    tokens = login(make_user()).json()
    client = bearer(tokens["access_token"])
    client.post("/api/v1/auth/logout", {"refresh_token": tokens["refresh_token"]})
    assert client.get("/api/v1/auth/me").status_code == 401


def test_logout_of_unknown_or_revoked_token_is_404(make_user, login):
    tokens = login(make_user()).json()
    client = bearer(tokens["access_token"])
    assert client.post("/api/v1/auth/logout", {"refresh_token": "unknown"}).status_code == 404
    other = login(make_user()).json()["refresh_token"]  # someone else's token
    assert client.post("/api/v1/auth/logout", {"refresh_token": other}).status_code == 404


def test_logout_requires_authentication():
    response = APIClient().post("/api/v1/auth/logout", {"refresh_token": "x"})
    assert response.status_code == 401


def test_viewer_can_log_out(make_user, login):
    tokens = login(make_user(Role.VIEWER)).json()
    response = bearer(tokens["access_token"]).post(
        "/api/v1/auth/logout", {"refresh_token": tokens["refresh_token"]}
    )
    assert response.status_code == 200


def test_me_describes_the_caller(make_user, organization):
    user = make_user(Role.VIEWER, full_name="Vera Viewer")
    client = APIClient()
    client.force_authenticate(user)
    data = client.get("/api/v1/auth/me").json()["data"]
    assert data["full_name"] == "Vera Viewer"
    assert data["role"] == "viewer"
    assert data["organization"]["slug"] == organization.slug


def test_tokens_are_signed_with_the_configured_key(make_user, login):
    token = login(make_user()).json()["access_token"]
    jwt.decode(token, settings.SIMPLE_JWT["SIGNING_KEY"], algorithms=["HS256"])
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, "another-key-entirely-another-key", algorithms=["HS256"])


def test_legacy_auth_endpoints_share_the_same_code(make_user):
    user = UserFactory(organization=make_user().organization)
    client = APIClient()
    login = client.post(
        "/api/auth/login", {"username": user.username, "password": DEFAULT_PASSWORD}
    ).json()
    assert login["success"] is True
    assert set(login) >= {"access_token", "refresh_token", "expires_in", "user"}
    refreshed = refresh(login["refresh_token"], path="/api/auth/refresh").json()
    assert refreshed["success"] is True and refreshed["access_token"]
    out = bearer(login["access_token"]).post(
        "/api/auth/logout", {"refresh_token": refreshed["refresh_token"]}
    )
    assert out.json() == {"success": True, "msg": "Logged out successfully"}
    assert refresh(refreshed["refresh_token"], path="/api/auth/refresh").status_code == 401


def test_seed_003s_examples_read_the_access_token_as_token(make_user):
    """Seed 003 documents ``access_token`` and its examples read ``.token``: both answer it."""
    user = UserFactory(organization=make_user().organization)
    login = (
        APIClient()
        .post("/api/auth/login", {"username": user.username, "password": DEFAULT_PASSWORD})
        .json()
    )
    assert login["token"] == login["access_token"]
    assert bearer(login["token"]).get("/api/v1/subscribers").status_code == 200
