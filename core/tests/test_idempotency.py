import hashlib
import json
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Organization
from core.models import IdempotencyKey, IdempotencyStatus

pytestmark = [pytest.mark.urls("core.tests.urls"), pytest.mark.django_db]


def post(client, body=None, key="k-1"):
    return client.post("/api/v1/idempotent", body or {"a": 1}, HTTP_IDEMPOTENCY_KEY=key)


def test_repeat_returns_the_first_answer_and_does_nothing(operator_client):
    before = Organization.objects.count()
    first = post(operator_client)
    second = post(operator_client)
    assert first.status_code == second.status_code == 201
    assert first.json()["data"] == second.json()["data"]
    assert second["Idempotent-Replayed"] == "true"
    assert Organization.objects.count() == before + 1


def test_without_key_every_call_runs(operator_client):
    before = Organization.objects.count()
    operator_client.post("/api/v1/idempotent", {"a": 1})
    operator_client.post("/api/v1/idempotent", {"a": 1})
    assert Organization.objects.count() == before + 2


def test_same_key_different_request_is_409(operator_client):
    post(operator_client, {"a": 1})
    response = post(operator_client, {"a": 2})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "CONFLICT"


def test_key_in_progress_is_409(make_user):
    user = make_user()
    client = APIClient()
    client.force_authenticate(user)
    body = json.dumps({"a": 1}, sort_keys=True)
    IdempotencyKey.objects.create(
        user=user,
        key="busy",
        method="POST",
        path="/api/v1/idempotent",
        fingerprint=hashlib.sha256(f"POST\n/api/v1/idempotent\n{body}".encode()).hexdigest(),
        status=IdempotencyStatus.IN_PROGRESS,
    )
    response = post(client, key="busy")
    assert response.status_code == 409
    assert "still being processed" in response.json()["error"]["message"]


def test_failed_request_releases_the_key(operator_client):
    assert post(operator_client, {"fail": True}).status_code == 409
    assert not IdempotencyKey.objects.filter(key="k-1").exists()


def test_keys_are_per_user(client_for):
    before = Organization.objects.count()
    post(client_for())
    post(client_for())
    assert Organization.objects.count() == before + 2


def test_overlong_key_is_422(operator_client):
    assert post(operator_client, key="x" * 300).status_code == 422


def _held_key(user, *, locked_until, key="busy"):
    body = json.dumps({"a": 1}, sort_keys=True)
    return IdempotencyKey.objects.create(
        user=user,
        key=key,
        method="POST",
        path="/api/v1/idempotent",
        fingerprint=hashlib.sha256(f"POST\n/api/v1/idempotent\n{body}".encode()).hexdigest(),
        status=IdempotencyStatus.IN_PROGRESS,
        locked_until=locked_until,
    )


def test_key_held_by_a_live_request_is_409_with_when_to_retry(make_user, settings):
    user = make_user()
    client = APIClient()
    client.force_authenticate(user)
    _held_key(user, locked_until=timezone.now() + timedelta(seconds=30))
    response = post(client, key="busy")
    assert response.status_code == 409
    assert 1 <= response.json()["error"]["details"]["retry_after"] <= 30


def test_key_of_a_request_whose_worker_died_is_taken_over_by_the_retry(make_user):
    """The web worker was killed mid-request: its key stayed ``in_progress``. Once its lease
    is over, a retry with the same key runs (and the service resumes by that key) instead of
    answering 409 for a day and pushing the client to a new key."""
    user = make_user()
    client = APIClient()
    client.force_authenticate(user)
    record = _held_key(user, locked_until=timezone.now() - timedelta(seconds=1))
    before = Organization.objects.count()

    response = post(client, key="busy")

    assert response.status_code == 201
    assert Organization.objects.count() == before + 1
    record.refresh_from_db()
    assert record.status == IdempotencyStatus.COMPLETED
    again = post(client, key="busy")
    assert again["Idempotent-Replayed"] == "true"
    assert Organization.objects.count() == before + 1


def test_a_dead_holders_key_is_not_taken_over_with_another_body(make_user):
    user = make_user()
    client = APIClient()
    client.force_authenticate(user)
    _held_key(user, locked_until=timezone.now() - timedelta(seconds=1))
    assert post(client, {"a": 2}, key="busy").status_code == 409
