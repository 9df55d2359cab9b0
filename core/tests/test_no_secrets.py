"""No secret in any log line, response, audit row or job record.

One session uses every kind of secret FleetOps handles: a password login, JWT access and
refresh tokens, an API key (header and ``?api_key=``), and the 1NCE client secret (real upstream
calls to the simulator, also from a job). Everything logged meanwhile (every logger at DEBUG,
as our handler writes it), every answer that does not exist to hand out a secret, and every
audit, job and task-run row is then searched for each secret value."""

import base64
import json

import pytest
import requests
from django.forms.models import model_to_dict
from rest_framework.test import APIClient

from accounts.models import AuditLog, Role
from accounts.tests.factories import UserFactory
from core.models import Job, JobItem, TaskRun
from core.tests.logs import log_output  # noqa: F401 (fixture)

PASSWORD = "Pw-4f1c2e9a-unguessable"


def rows(model) -> str:
    return json.dumps([model_to_dict(row) for row in model.objects.all()], default=str)


@pytest.mark.django_db(transaction=True)
def test_a_session_leaves_no_secret_behind(
    onence_fleet,
    organization,
    settings,
    live_server,
    log_output,  # noqa: F811
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    UserFactory(username="ops-admin", organization=organization, role=Role.ADMIN, password=PASSWORD)
    client = APIClient()
    answers = []  # every answer that is not meant to carry a secret

    def call(method, path, issuing=False, **kwargs):
        response = getattr(client, method)(path, format="json", **kwargs)
        assert response.status_code < 500, response.content
        if not issuing:
            answers.append(response.content.decode())
        return response

    call(
        "post",
        "/api/v1/auth/login",
        data={"username": "ops-admin", "password": "wrong-" + PASSWORD},
    )
    tokens = call(
        "post",
        "/api/v1/auth/login",
        issuing=True,
        data={"username": "ops-admin", "password": PASSWORD},
    ).json()
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {tokens['access_token']}"}
    call("get", "/api/v1/auth/me", **bearer)
    refreshed = call(
        "post",
        "/api/v1/auth/refresh",
        issuing=True,
        data={"refresh_token": tokens["refresh_token"]},
    ).json()
    key = call("post", "/api/v1/auth/api-keys", issuing=True, data={"name": "ci"}, **bearer).json()
    api_key = key["data"]["key"]
    call("get", "/api/v1/auth/api-keys", **bearer)

    by_header = {"HTTP_X_API_KEY": api_key}
    iccid = onence_fleet[0].iccid
    call("get", "/api/v1/sims", **by_header)
    call("get", f"/api/v1/sims?api_key={api_key}&page=1")
    call("get", f"/api/v1/sims?api_key={api_key}x")  # a wrong key: 401, logged as a warning
    call("post", f"/api/v1/sims/{iccid}/sync", **by_header)  # 1NCE token + SIM read
    call("post", "/api/v1/sims/sync-all", **by_header)  # a job calling 1NCE
    call("get", "/api/v1/jobs", **by_header)
    call("get", "/api/v1/audit", **by_header)
    call(
        "post", "/api/v1/auth/logout", data={"refresh_token": refreshed["refresh_token"]}, **bearer
    )
    # Over real HTTP too, so the server's own request lines are in the logs.
    query = f"api_key={api_key}&token={tokens['access_token']}"
    assert requests.get(f"{live_server.url}/api/v1/sims?{query}", timeout=10).status_code == 200

    onence_basic = base64.b64encode(
        f"{settings.ONENCE_CLIENT_ID}:{settings.ONENCE_CLIENT_SECRET}".encode()
    ).decode()
    secrets = {
        "password": PASSWORD,
        "access token": tokens["access_token"],
        "refresh token": tokens["refresh_token"],
        "refreshed access token": refreshed["access_token"],
        "API key": api_key,
        "API key secret": api_key.split(".", 1)[1],
        "1NCE client secret": settings.ONENCE_CLIENT_SECRET,
        "1NCE basic credentials": onence_basic,
    }
    places = {
        "logs": log_output(),
        "answers": "\n".join(answers),
        "audit rows": rows(AuditLog),
        "job rows": rows(Job) + rows(JobItem),
        "task runs": rows(TaskRun),
    }
    assert "fleetops.access" in places["logs"]
    assert AuditLog.objects.exists() and Job.objects.exists()
    leaks = [
        f"{name} in {place}"
        for name, secret in secrets.items()
        for place, text in places.items()
        if secret in text
    ]
    assert leaks == [], places["logs"]
