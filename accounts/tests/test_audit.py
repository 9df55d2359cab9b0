from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.audit import MAX_REDACT_DEPTH, record_audit, redact
from accounts.models import AuditLog, AuditStatus, Role
from accounts.tests.factories import UserFactory
from core.logging import REDACTED, TRUNCATED
from core.tests.api import ListObjectsCases

pytestmark = pytest.mark.django_db


def as_user(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_redaction_reaches_nested_secrets():
    body = {
        "iccid": "8988228666000000001",
        "aor": {"domain_id": 84, "auth_username": "+3165", "auth_password": "pw"},
        "items": [{"client_secret": "s", "refresh_token": "r", "name": "ok"}],
        "Password": "p",
        "api_key": "k",
        "token": "t",
        "secret": "s2",
    }
    assert redact(body) == {
        "iccid": "8988228666000000001",
        "aor": {"domain_id": 84, "auth_username": "+3165", "auth_password": REDACTED},
        "items": [{"client_secret": REDACTED, "refresh_token": REDACTED, "name": "ok"}],
        "Password": REDACTED,
        "api_key": REDACTED,
        "token": REDACTED,
        "secret": REDACTED,
    }


def test_redaction_of_a_deeply_nested_body_is_bounded_not_a_recursion_error(make_user):
    body = {"token": "t"}
    for _ in range(5000):
        body = {"inner": [body]}
    redacted = redact(body)
    depth, node = 0, redacted
    while isinstance(node, dict | list):
        node = node["inner"] if isinstance(node, dict) else node[0]
        depth += 1
    assert node == TRUNCATED and depth == MAX_REDACT_DEPTH
    entry = record_audit(
        operation="UPDATE", resource_type="sim", user=make_user(), request_body=body
    )
    assert entry.pk is not None


def test_redaction_keeps_shallow_bodies_whole():
    body = {"a": {"b": {"c": [{"d": {"password": "p", "e": 1}}]}}}
    assert redact(body) == {"a": {"b": {"c": [{"d": {"password": REDACTED, "e": 1}}]}}}


def test_record_audit_stores_redacted_body(make_user):
    user = make_user()
    entry = record_audit(
        operation="CREATE",
        resource_type="subscriber",
        resource_id="89312400000001715969",
        user=user,
        request_body={"aor": {"auth_password": "hunter2"}},
        response_status=202,
    )
    entry.refresh_from_db()
    assert entry.request_body == {"aor": {"auth_password": REDACTED}}
    assert entry.organization == user.organization
    assert entry.username == user.username


@pytest.fixture
def entries(organization, other_organization):
    me = UserFactory(organization=organization, role=Role.OPERATOR)
    colleague = UserFactory(organization=organization, role=Role.OPERATOR)
    stranger = UserFactory(organization=other_organization, role=Role.ADMIN)
    for user, op in [(me, "CREATE"), (me, "DELETE"), (colleague, "CREATE"), (stranger, "CREATE")]:
        record_audit(operation=op, resource_type="subscriber", resource_id="1", user=user)
    record_audit(
        operation="UPDATE_STATE",
        resource_type="subscriber",
        resource_id="89312400000001715969",
        user=me,
        status=AuditStatus.FAILED,
        error_message="PMNL said no",
    )
    return {"me": me, "colleague": colleague, "stranger": stranger}


def usernames(response):
    return {row["username"] for row in response.json()["data"]}


def test_users_see_their_own_entries(entries):
    response = as_user(entries["me"]).get("/api/v1/audit")
    assert usernames(response) == {entries["me"].username}
    assert response.json()["pagination"]["total"] == 3


def test_org_admins_see_their_organization(entries, make_user):
    response = as_user(make_user(Role.ADMIN)).get("/api/v1/audit")
    assert usernames(response) == {entries["me"].username, entries["colleague"].username}


def test_superusers_see_everything(entries):
    root = UserFactory(organization=None, is_superuser=True)
    assert usernames(as_user(root).get("/api/v1/audit")) == {u.username for u in entries.values()}


def test_filters(entries):
    client = as_user(entries["me"])
    failed = client.get("/api/v1/audit?status=failed").json()["data"]
    assert [e["operation"] for e in failed] == ["UPDATE_STATE"]
    assert failed[0]["error_message"] == "PMNL said no"
    by_op = client.get("/api/v1/audit?operation=create").json()["data"]
    assert [e["operation"] for e in by_op] == ["CREATE"]
    by_id = client.get("/api/v1/audit?resource_id=89312400000001715969").json()["data"]
    assert len(by_id) == 1
    assert client.get("/api/v1/audit?status=bogus").status_code == 422


def test_date_range_and_sort_order(entries):
    client = as_user(entries["me"])
    old = AuditLog.objects.filter(user=entries["me"], operation="CREATE").get()
    AuditLog.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=10))
    since = (timezone.now() - timedelta(days=1)).isoformat().replace("+00:00", "Z")
    recent = client.get("/api/v1/audit", {"from_date": since}).json()["data"]
    assert {e["operation"] for e in recent} == {"DELETE", "UPDATE_STATE"}
    ascending = client.get("/api/v1/audit?sort_order=asc").json()["data"]
    assert ascending[0]["operation"] == "CREATE"


def test_skip_and_limit_up_to_1000(entries):
    client = as_user(entries["me"])
    body = client.get("/api/v1/audit?skip=1&limit=1").json()
    assert len(body["data"]) == 1
    assert body["pagination"]["skip"] == 1
    assert client.get("/api/v1/audit?limit=5000").json()["pagination"]["page_size"] == 1000


def test_audit_is_read_only_over_the_api(entries):
    client = as_user(entries["me"])
    assert client.post("/api/v1/audit", {}).status_code == 405


class TestAuditList(ListObjectsCases):
    url_name = "accounts-api:audit-log"
    write_role = Role.ADMIN  # an organization admin lists the organization's entries
    list_queries = 2  # the count, the page

    def make_object(self, organization):
        return AuditLog.objects.create(
            organization=organization,
            operation="sim.update",
            resource_type="sim",
            status=AuditStatus.SUCCESS,
        )


def test_record_audit_takes_who_and_where_from_the_context(make_user, rf):
    from core.context import Context

    user = make_user()
    request = rf.post("/api/v1/sims", HTTP_USER_AGENT="curl/8", REMOTE_ADDR="192.0.2.7")
    request.user, request.request_id = user, "req_abc"
    entry = record_audit(
        operation="UPDATE", resource_type="sim", context=Context.from_request(request)
    )
    entry.refresh_from_db()
    assert (entry.user, entry.organization) == (user, user.organization)
    assert (entry.ip_address, entry.user_agent, entry.request_id) == (
        "192.0.2.7",
        "curl/8",
        "req_abc",
    )
    system = record_audit(operation="UPDATE", resource_type="sim", context=Context.system())
    assert (system.user, system.ip_address, system.user_agent) == (None, None, "")
