import pytest
from rest_framework.test import APIClient

from accounts.models import AuditLog, Role, User
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
STRONG = "a-long-Enough-passphrase"


def as_user(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_org_admin_registers_a_user_in_the_organization(make_user, organization):
    admin = make_user(Role.ADMIN)
    response = as_user(admin).post(
        "/api/v1/auth/register",
        {"username": "newop", "password": STRONG, "email": "newop@example.com", "role": "operator"},
    )
    assert response.status_code == 201, response.content
    user = User.objects.get(username="newop")
    assert (user.organization, user.role) == (organization, Role.OPERATOR)
    assert user.check_password(STRONG)
    entry = AuditLog.objects.get(operation="CREATE", resource_type="user")
    assert entry.request_body["password"] == "[REDACTED]"


def test_operator_cannot_register_users(make_user):
    response = as_user(make_user(Role.OPERATOR)).post(
        "/api/v1/auth/register", {"username": "x", "password": STRONG}
    )
    assert response.status_code == 403
    assert not User.objects.filter(username="x").exists()


def test_taken_username_is_409(make_user):
    admin = make_user(Role.ADMIN)
    response = as_user(admin).post(
        "/api/v1/auth/register", {"username": admin.username.upper(), "password": STRONG}
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "CONFLICT"


@pytest.mark.parametrize("password", ["short1", "12345678901", "password"])
def test_weak_password_is_422(make_user, password):
    response = as_user(make_user(Role.ADMIN)).post(
        "/api/v1/auth/register", {"username": "weakling", "password": password}
    )
    assert response.status_code == 422
    assert not User.objects.filter(username="weakling").exists()


def test_open_registration_is_off_by_default():
    response = APIClient().post("/api/auth/register", {"username": "me", "password": STRONG})
    assert response.status_code == 403
    assert "Open registration is disabled" in response.json()["error"]["message"]
    assert not User.objects.filter(username="me").exists()


def test_open_registration_creates_a_viewer_who_sees_nothing(settings, organization):
    settings.OPEN_REGISTRATION = True
    response = APIClient().post("/api/auth/register", {"username": "me", "password": STRONG})
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "username", "is_active", "created_at"}
    assert body["is_active"] is True
    user = User.objects.get(username="me")
    assert (user.role, user.organization) == (Role.VIEWER, None)

    login = APIClient().post("/api/auth/login", {"username": "me", "password": STRONG}).json()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {login['access_token']}")
    assert client.get("/api/v1/jobs").json()["data"] == []
    assert client.get("/api/v1/organizations").json()["data"] == []
    assert client.get("/api/v1/organizations/current").status_code == 404


def test_open_registration_taken_username_is_409(settings):
    settings.OPEN_REGISTRATION = True
    UserFactory(username="taken")
    response = APIClient().post("/api/auth/register", {"username": "taken", "password": STRONG})
    assert response.status_code == 409


def test_login_after_registration(settings):
    settings.OPEN_REGISTRATION = True
    APIClient().post("/api/auth/register", {"username": "fresh", "password": DEFAULT_PASSWORD})
    response = APIClient().post(
        "/api/v1/auth/login", {"username": "fresh", "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 200


@pytest.mark.parametrize("url", ["/api/v1/auth/register", "/api/auth/register"])
def test_registration_refuses_is_superuser_instead_of_ignoring_it(make_user, settings, url):
    settings.OPEN_REGISTRATION = True
    client = as_user(make_user(Role.ADMIN)) if url.startswith("/api/v1") else APIClient()
    response = client.post(
        url, {"username": "sneaky", "password": STRONG, "is_superuser": True}, format="json"
    )
    assert response.status_code == 422, response.content
    errors = response.json()["error"]["details"]["errors"]
    assert [e["loc"] for e in errors] == [["is_superuser"]]
    assert not User.objects.filter(username="sneaky").exists()
