import re
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import APIKey, AuditLog, Role
from accounts.selectors import pending_api_key_uses
from accounts.services import issue_api_key
from accounts.tests.factories import UserFactory
from core.tests.api import ListObjectsCases

pytestmark = pytest.mark.django_db
KEY_FORMAT = re.compile(r"^sk_live_[A-Za-z0-9]{8}\.[A-Za-z0-9]{32}$")


def keyed(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=raw)
    return client


@pytest.fixture
def owner(make_user):
    return make_user(Role.OPERATOR)


@pytest.fixture
def owner_client(owner):
    client = APIClient()
    client.force_authenticate(owner)
    return client


def test_create_answers_the_full_key_once(owner_client):
    response = owner_client.post("/api/v1/auth/api-keys", {"name": "ci"})
    assert response.status_code == 201
    data = response.json()["data"]
    assert KEY_FORMAT.match(data["key"])
    assert data["id"] == data["prefix"] == data["key"][8:16]
    listed = owner_client.get("/api/v1/auth/api-keys").json()["data"]
    assert [k["prefix"] for k in listed] == [data["prefix"]]
    assert "key" not in listed[0]
    assert data["key"].split(".")[1] not in str(listed)


def test_only_a_hash_is_stored(owner):
    api_key, raw = issue_api_key(user=owner, name="x")
    secret = raw.split(".")[1]
    stored = APIKey.objects.filter(pk=api_key.pk).values_list("id", "hashed_key")[0]
    assert all(secret not in value for value in stored)


def test_key_authenticates_as_owner_by_header_and_query(owner):
    _, raw = issue_api_key(user=owner, name="x")
    by_header = keyed(raw).get("/api/v1/auth/me")
    by_query = APIClient().get(f"/api/v1/auth/me?api_key={raw}")
    assert by_header.json()["data"]["username"] == owner.username
    assert by_query.json()["data"]["username"] == owner.username


def test_revoked_key_is_refused(owner, owner_client):
    api_key, raw = issue_api_key(user=owner, name="x")
    assert owner_client.delete(f"/api/v1/auth/api-keys/{api_key.prefix}").status_code == 204
    response = keyed(raw).get("/api/v1/auth/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "INVALID_API_KEY"
    api_key.refresh_from_db()
    assert api_key.revoked and api_key.revoked_at
    assert AuditLog.objects.filter(operation="REVOKE", resource_id=api_key.prefix).exists()


def test_expired_key_is_refused(owner):
    api_key, raw = issue_api_key(user=owner, name="x")
    APIKey.objects.filter(pk=api_key.pk).update(expiry_date=timezone.now() - timedelta(seconds=1))
    assert keyed(raw).get("/api/v1/auth/me").json()["error"]["code"] == "INVALID_API_KEY"


@pytest.mark.parametrize(
    "raw", ["sk_live_nope.nope", "garbage", "sk_live_", "sk_live_abcdefgh.wrongsecret"]
)
def test_unknown_key_is_refused(owner, raw):
    response = keyed(raw).get("/api/v1/auth/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "INVALID_API_KEY"


def test_right_prefix_wrong_secret_is_refused(owner):
    _, raw = issue_api_key(user=owner, name="x")
    forged = raw.split(".")[0] + "." + "A" * 32
    assert keyed(forged).get("/api/v1/auth/me").status_code == 401


def test_a_cached_key_with_a_wrong_secret_counts_no_use(owner):
    api_key, raw = issue_api_key(user=owner, name="x")
    client = keyed(raw)
    client.get("/api/v1/auth/me")  # cached now; the first use is written at once
    client.get("/api/v1/auth/me")
    before = pending_api_key_uses(api_key.prefix)
    assert before == 1
    forged = raw.split(".")[0] + "." + "A" * 32
    for _ in range(3):
        assert keyed(forged).get("/api/v1/auth/me").status_code == 401
    assert pending_api_key_uses(api_key.prefix) == before
    assert client.get("/api/v1/auth/me").status_code == 200
    assert pending_api_key_uses(api_key.prefix) == before + 1


def test_inactive_owners_key_is_refused(owner):
    _, raw = issue_api_key(user=owner, name="x")
    owner.is_active = False
    owner.save()
    assert keyed(raw).get("/api/v1/auth/me").status_code == 401


def test_read_only_key_cannot_write(owner):
    _, raw = issue_api_key(user=owner, name="ro", read_only=True)
    client = keyed(raw)
    assert client.get("/api/v1/organizations/current").status_code == 200
    response = client.post("/api/v1/auth/register", {"username": "x", "password": "y" * 12})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "FORBIDDEN"


def test_read_only_key_creates_no_key(owner):
    _, raw = issue_api_key(user=owner, name="ro", read_only=True)
    response = keyed(raw).post("/api/v1/auth/api-keys", {"name": "child"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "FORBIDDEN"
    assert not APIKey.objects.filter(name="child").exists()


def test_admins_read_only_key_manages_only_as_a_viewer(make_user):
    admin = make_user(Role.ADMIN)
    colleague = make_user(Role.OPERATOR)
    colleagues_key, colleagues_raw = issue_api_key(user=colleague, name="theirs")
    own_key, _ = issue_api_key(user=admin, name="mine")
    _, read_only_raw = issue_api_key(user=admin, name="ro", read_only=True)
    client = keyed(read_only_raw)

    listed = {k["name"] for k in client.get("/api/v1/auth/api-keys").json()["data"]}
    assert listed == {"mine", "ro"}  # its owner's keys only, as for a viewer
    for prefix in (colleagues_key.prefix, own_key.prefix):
        response = client.delete(f"/api/v1/auth/api-keys/{prefix}")
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "FORBIDDEN"
    assert not APIKey.objects.filter(revoked=True).exists()
    assert keyed(colleagues_raw).get("/api/v1/auth/me").status_code == 200
    # The admin's audit trail of the organization is out of a viewer's reach too.
    audit = client.get("/api/v1/audit").json()["data"]
    assert {entry["username"] for entry in audit} <= {admin.username}


def test_admins_full_key_manages_the_organizations_keys(make_user):
    admin = make_user(Role.ADMIN)
    colleagues_key, _ = issue_api_key(user=make_user(Role.OPERATOR), name="theirs")
    _, raw = issue_api_key(user=admin, name="full")
    client = keyed(raw)
    assert {k["name"] for k in client.get("/api/v1/auth/api-keys").json()["data"]} == {
        "theirs",
        "full",
    }
    assert client.delete(f"/api/v1/auth/api-keys/{colleagues_key.prefix}").status_code == 204


def test_expiry_in_the_past_is_422(owner_client):
    response = owner_client.post(
        "/api/v1/auth/api-keys", {"name": "x", "expires_at": "2020-01-01T00:00:00Z"}
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"]["errors"][0]["loc"] == ["expires_at"]


def test_usage_is_counted_without_a_write_per_request(owner, django_assert_max_num_queries):
    api_key, raw = issue_api_key(user=owner, name="x")
    client = keyed(raw)
    client.get("/api/v1/auth/me")  # the first use is written at once
    with django_assert_max_num_queries(4):  # key lookup only: no UPDATE per request
        for _ in range(4):
            client.get("/api/v1/auth/me")
    api_key.refresh_from_db()
    assert api_key.usage_count == 1
    assert api_key.last_used_at is not None
    listed = client.get("/api/v1/auth/api-keys").json()["data"][0]
    assert listed["usage_count"] == 6  # the tally includes uses not yet written


def test_users_see_only_their_own_keys_and_admins_their_organizations(make_user, owner):
    issue_api_key(user=owner, name="mine")
    colleague = make_user(Role.OPERATOR)
    issue_api_key(user=colleague, name="theirs")
    admin = make_user(Role.ADMIN)
    client = APIClient()
    client.force_authenticate(colleague)
    assert [k["name"] for k in client.get("/api/v1/auth/api-keys").json()["data"]] == ["theirs"]
    client.force_authenticate(admin)
    names = {k["name"] for k in client.get("/api/v1/auth/api-keys").json()["data"]}
    assert names == {"mine", "theirs"}


def test_other_organization_cannot_see_or_revoke_a_key(owner, other_organization):
    api_key, raw = issue_api_key(user=owner, name="x")
    stranger = UserFactory(organization=other_organization, role=Role.ADMIN)
    client = APIClient()
    client.force_authenticate(stranger)
    assert client.get("/api/v1/auth/api-keys").json()["data"] == []
    assert client.delete(f"/api/v1/auth/api-keys/{api_key.prefix}").status_code == 404
    assert keyed(raw).get("/api/v1/auth/me").status_code == 200


def test_key_creation_is_audited_without_the_key(owner_client, owner):
    raw = owner_client.post("/api/v1/auth/api-keys", {"name": "audited"}).json()["data"]["key"]
    entry = AuditLog.objects.get(operation="CREATE", resource_type="api_key")
    assert entry.user == owner
    assert raw not in str(entry.request_body)


def test_issue_api_key_command_prints_a_working_key_once(owner, capsys):
    call_command("issue_api_key", username=owner.username, name="ops", expires_in_days=7)
    out, err = capsys.readouterr()
    raw = out.strip()
    assert KEY_FORMAT.match(raw)
    assert "cannot be shown again" in err
    assert keyed(raw).get("/api/v1/auth/me").status_code == 200
    assert APIKey.objects.get(name="ops").expiry_date is not None


def test_issue_api_key_command_read_only(owner, capsys):
    call_command("issue_api_key", username=owner.username, name="ro", read_only=True)
    assert APIKey.objects.get(name="ro").read_only is True


def test_revocation_of_a_cached_key_takes_effect_at_once(
    owner, owner_client, django_capture_on_commit_callbacks
):
    api_key, raw = issue_api_key(user=owner, name="x")
    assert keyed(raw).get("/api/v1/auth/me").status_code == 200  # now cached
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.delete(f"/api/v1/auth/api-keys/{api_key.prefix}")
    assert keyed(raw).get("/api/v1/auth/me").status_code == 401


def test_deactivating_the_owner_of_a_cached_key_takes_effect_at_once(
    owner, django_capture_on_commit_callbacks
):
    _, raw = issue_api_key(user=owner, name="x")
    assert keyed(raw).get("/api/v1/auth/me").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        owner.is_active = False
        owner.save()
    assert keyed(raw).get("/api/v1/auth/me").status_code == 401


def test_role_change_of_the_owner_applies_to_a_cached_key(
    owner, django_capture_on_commit_callbacks
):
    _, raw = issue_api_key(user=owner, name="x")
    assert keyed(raw).get("/api/v1/auth/me").json()["data"]["role"] == "operator"
    with django_capture_on_commit_callbacks(execute=True):
        owner.role = Role.VIEWER
        owner.save()
    assert keyed(raw).get("/api/v1/auth/me").json()["data"]["role"] == "viewer"


@pytest.mark.parametrize("body", [{}, {"name": ""}, {"name": "x" * 51}, {"read_only": True}])
def test_create_without_a_usable_name_is_422_naming_it(owner_client, body):
    response = owner_client.post("/api/v1/auth/api-keys", body)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert [e["loc"] for e in error["details"]["errors"]] == [["name"]]
    assert not APIKey.objects.exists()


def test_live_keys_per_user_are_capped(owner, owner_client, settings):
    settings.API_KEY_MAX_PER_USER = 3
    expired, _ = issue_api_key(user=owner, name="old")
    APIKey.objects.filter(pk=expired.pk).update(expiry_date=timezone.now() - timedelta(days=1))
    revoked, _ = issue_api_key(user=owner, name="gone")
    APIKey.objects.filter(pk=revoked.pk).update(revoked=True)
    # Expired and revoked keys do not count: three live ones may still be made.
    statuses = [
        owner_client.post("/api/v1/auth/api-keys", {"name": f"k{i}"}).status_code for i in range(4)
    ]
    assert statuses == [201, 201, 201, 409]
    error = owner_client.post("/api/v1/auth/api-keys", {"name": "more"}).json()["error"]
    assert error["code"] == "CONFLICT"
    assert "3 live API keys" in error["message"]
    assert error["details"]["limit"] == 3
    # Revoking one makes room again.
    prefix = APIKey.objects.filter(user=owner, name="k0").get().prefix
    assert owner_client.delete(f"/api/v1/auth/api-keys/{prefix}").status_code == 204
    assert owner_client.post("/api/v1/auth/api-keys", {"name": "k4"}).status_code == 201


def test_issue_api_key_command_refuses_past_the_cap(owner, settings):
    settings.API_KEY_MAX_PER_USER = 1
    issue_api_key(user=owner, name="only")
    with pytest.raises(CommandError, match="1 live API keys"):
        call_command("issue_api_key", username=owner.username, name="second")


class TestAPIKeyList(ListObjectsCases):
    url_name = "accounts-api:api-key"
    write_role = Role.ADMIN  # an organization admin lists the organization's keys
    list_queries = 2  # the count, the page

    def make_object(self, organization):
        api_key, _ = issue_api_key(user=UserFactory(organization=organization), name="k")
        return api_key

    def ids_of(self, objects):
        return {o.prefix for o in objects}


def test_expires_in_days_sets_the_expiry(owner_client):
    before = timezone.now()
    response = owner_client.post(
        "/api/v1/auth/api-keys", {"name": "ci", "expires_in_days": 30}, format="json"
    )
    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert "expires_in_days" not in data
    expiry = APIKey.objects.get(prefix=data["id"]).expiry_date
    assert before + timedelta(days=30) <= expiry <= timezone.now() + timedelta(days=30)
    assert data["expires_at"] is not None


@pytest.mark.parametrize(
    "body",
    [
        {"name": "ci", "expires_in_days": 0},
        {"name": "ci", "expires_in_days": "soon"},
        {"name": "ci", "expires_in_days": 3, "expires_at": "2099-01-01T00:00:00Z"},
    ],
)
def test_a_bad_expires_in_days_is_422_naming_it(owner_client, body):
    response = owner_client.post("/api/v1/auth/api-keys", body, format="json")
    assert response.status_code == 422, response.content
    locs = [e["loc"] for e in response.json()["error"]["details"]["errors"]]
    assert ["expires_in_days"] in locs
    assert not APIKey.objects.exists()


def test_bulk_revocation_in_the_console_takes_effect_at_once(
    owner, client, make_user, django_capture_on_commit_callbacks
):
    first, raw_first = issue_api_key(user=owner, name="one")
    second, raw_second = issue_api_key(user=owner, name="two")
    assert keyed(raw_first).get("/api/v1/auth/me").status_code == 200  # both cached
    assert keyed(raw_second).get("/api/v1/auth/me").status_code == 200
    client.force_login(make_user(Role.ADMIN, is_staff=True, is_superuser=True))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/accounts/apikey/",
            {"action": "revoke_selected", "_selected_action": [first.pk, second.pk]},
        )

    assert response.status_code == 302
    assert keyed(raw_first).get("/api/v1/auth/me").status_code == 401
    assert keyed(raw_second).get("/api/v1/auth/me").status_code == 401
    assert APIKey.objects.filter(revoked=True, revoked_at__isnull=False).count() == 2
    assert AuditLog.objects.filter(operation="REVOKE", resource_type="api_key").count() == 2


def test_the_console_cannot_untick_or_tick_revoked_by_hand(owner, client, make_user):
    api_key, _ = issue_api_key(user=owner, name="one")
    client.force_login(make_user(Role.ADMIN, is_staff=True, is_superuser=True))
    page = client.get(f"/admin/accounts/apikey/{api_key.pk}/change/")
    assert page.status_code == 200
    assert 'name="revoked"' not in page.content.decode()
