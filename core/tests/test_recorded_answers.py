"""Every endpoint's answers for one fixed scenario, compared with a recording.

The scenario (one organization on the 1NCE simulator, seeded with a fixed seed, a second
organization for the 404s) calls each endpoint of accounts, sims, usage, quotas, sms and jobs
in a fixed order, good requests and bad ones, and keeps status and body with the volatile
values masked (timestamps, request and job ids, tokens, keys). A refactoring that changes an
answer fails here; a change meant to happen is recorded again on purpose::

    RECORD_ANSWERS=1 pytest core/tests/test_recorded_answers.py

and the diff of ``answers/endpoints.json`` shows what changed. The scenario runs at a fixed
instant (the clock then ticks on from it): usage days, weeks and month-to-date totals depend
on the date, and a recording must not change with the calendar.
"""

import difflib
import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from rest_framework.test import APIClient

from accounts.models import Organization, Role, User
from sims.tests.factories import SimFactory
from simulators.onence.models import OnenceSim

RECORDING = Path(__file__).with_name("answers") / "endpoints.json"
PASSWORD = "correct-horse-battery"
RECORDED_AT = datetime(2026, 11, 30, 23, 0, tzinfo=UTC)

# Keys whose values change from run to run (ids from sequences, clocks, secrets).
VOLATILE_KEYS = re.compile(
    r"^(id|pk|job_id|request_id|timestamp|.*_at|access_token|refresh_token|token|key|prefix"
    r"|transaction_id|sms_id|order_number|family|jti|settles_by|retry_after|organization_id"
    r"|user_id|created_by|actor_id|duration_s|.*duration_seconds)$"
)
VOLATILE_VALUES = [
    (re.compile(r"\d{4}-\d{2}-\d{2}([T ][\d:.]+)?(Z|[+-]\d{2}:?\d{2})?"), "<time>"),
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "<uuid>"),
    (re.compile(r"\b(job|sms|topup)_[0-9a-f]{12,}"), r"\1_<id>"),
    (re.compile(r"/jobs/[^/\s\"]+"), "/jobs/<id>"),
    (re.compile(r"/(sms|orders|api-keys|topups)/[A-Za-z0-9_.-]+"), r"/\1/<id>"),
    (re.compile(r"http://(localhost|testserver|127\.0\.0\.1)(:\d+)?"), "<host>"),
]


def mask(value, key: str = ""):
    if VOLATILE_KEYS.match(key) and value is not None:
        return "<masked>"
    if key == "resource_id" and not re.fullmatch(r"\d{19,20}", str(value)):
        return "<masked>"  # a user's or a key's id; an ICCID stays
    if isinstance(value, dict):
        return {k: mask(v, k) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [mask(item, key) for item in value]
    if isinstance(value, str):
        for pattern, replacement in VOLATILE_VALUES:
            value = pattern.sub(replacement, value)
    return value


def parse(response):
    if not response.content:
        return None
    try:
        return json.loads(response.content)
    except ValueError:
        return response.content.decode()[:200]


def answer(response) -> dict:
    body = parse(response)
    headers = {
        name: mask(response.headers[name])
        for name in ("Location", "Retry-After")
        if name in response.headers
    }
    return {"status": response.status_code, "headers": headers, "body": mask(body)}


class Scenario:
    def __init__(self, admin_client, viewer_client, anonymous):
        self.clients = {"admin": admin_client, "viewer": viewer_client, "anonymous": anonymous}
        self.answers: list[dict] = []
        self.last: dict = {}

    def call(self, label, method, path, body=None, *, who="admin", headers=None):
        client = self.clients[who]
        response = getattr(client, method.lower())(path, body, format="json", headers=headers or {})
        self.last = parse(response) or {}
        self.answers.append({"call": mask(f"{label}: {who} {method} {path}"), **answer(response)})
        return self.last


@pytest.fixture
def recorded_instant():
    with time_machine.travel(RECORDED_AT, tick=True):
        yield


@pytest.fixture
def scenario(recorded_instant, onence_simulator, settings):
    organization = Organization.objects.get(slug=settings.ONENCE_DEFAULT_ORGANIZATION)
    organization.name, organization.slug = "Recorded", "recorded"
    organization.save()
    settings.ONENCE_DEFAULT_ORGANIZATION = organization.slug
    iccids = onence_simulator.seed_fleet(sims=3, days=10, seed=7)
    for n, iccid in enumerate(iccids):
        fixed_sim(organization, iccid, n)
    # The simulator's sessions come and go with the clock; a recording needs them still.
    OnenceSim.objects.filter(iccid__in=iccids).update(connectivity_override="ONLINE")
    stranger_org = Organization.objects.create(name="Strangers", slug="strangers")
    foreign = fixed_sim(stranger_org, "8988228066000099999", 9)
    admin = User.objects.create_user(
        username="recorder",
        email="recorder@example.com",
        password=PASSWORD,
        organization=organization,
        role=Role.ADMIN,
    )
    viewer = User.objects.create_user(
        username="watcher",
        email="watcher@example.com",
        password=PASSWORD,
        organization=organization,
        role=Role.VIEWER,
    )
    clients = []
    for user in (admin, viewer):
        client = APIClient()
        client.force_authenticate(user)
        clients.append(client)
    return Scenario(*clients, APIClient()), iccids, foreign.iccid


def fixed_sim(organization, iccid: str, n: int):
    return SimFactory(
        organization=organization,
        iccid=iccid,
        imsi=f"90140{n:010d}",
        msisdn=f"88236{n:010d}",
        imei=f"35{n:013d}",
        label=f"Device {n}",
        ip_address=f"10.0.0.{n}",
    )


def run(scenario: Scenario, iccids: list[str], foreign: str) -> list[dict]:
    s = scenario
    one, two, three = iccids
    # accounts
    s.call(
        "login",
        "POST",
        "/api/v1/auth/login",
        {"username": "recorder", "password": PASSWORD},
        who="anonymous",
    )
    refresh = s.last.get("refresh_token")
    s.call(
        "login wrong",
        "POST",
        "/api/v1/auth/login",
        {"username": "recorder", "password": "nope"},
        who="anonymous",
    )
    s.call(
        "legacy login",
        "POST",
        "/api/auth/login",
        {"username": "recorder", "password": PASSWORD},
        who="anonymous",
    )
    s.call("refresh", "POST", "/api/v1/auth/refresh", {"refresh_token": refresh}, who="anonymous")
    new_refresh = s.last.get("refresh_token")
    s.call(
        "refresh reused",
        "POST",
        "/api/v1/auth/refresh",
        {"refresh_token": refresh},
        who="anonymous",
    )
    s.call(
        "legacy refresh bad", "POST", "/api/auth/refresh", {"refresh_token": "x"}, who="anonymous"
    )
    s.call("me", "GET", "/api/v1/auth/me")
    s.call(
        "register",
        "POST",
        "/api/v1/auth/register",
        {
            "username": "newbie",
            "email": "newbie@example.com",
            "password": "a-long-password-1",
            "role": "viewer",
        },
    )
    s.call("register bad", "POST", "/api/v1/auth/register", {"username": "x"})
    s.call(
        "legacy register",
        "POST",
        "/api/auth/register",
        {"username": "open1", "email": "open1@example.com", "password": "a-long-password-2"},
        who="anonymous",
    )
    s.call("api key create", "POST", "/api/v1/auth/api-keys", {"name": "ci"})
    prefix = (s.last.get("data") or {}).get("prefix")
    s.call("api key list", "GET", "/api/v1/auth/api-keys")
    s.call("api key delete", "DELETE", f"/api/v1/auth/api-keys/{prefix}")
    s.call("api key delete again", "DELETE", f"/api/v1/auth/api-keys/{prefix}")
    s.call("logout", "POST", "/api/v1/auth/logout", {"refresh_token": new_refresh})
    s.call("legacy logout", "POST", "/api/auth/logout", {"refresh_token": "x"})
    # sims
    s.call("sims list", "GET", "/api/v1/sims?sort_by=iccid&sort_order=asc")
    s.call("sim get", "GET", f"/api/v1/sims/{one}")
    s.call("sim foreign", "GET", f"/api/v1/sims/{foreign}")
    s.call("sim bad iccid", "GET", "/api/v1/sims/12x")
    s.call("sim status", "GET", f"/api/v1/sims/{one}/status")
    s.call("sim connectivity", "GET", f"/api/v1/sims/{one}/connectivity")
    s.call("sim put", "PUT", f"/api/v1/sims/{one}", {"label": "Field unit 7", "imei_lock": True})
    s.call("sim patch", "PATCH", f"/api/v1/sims/{one}", {"tags": ["north"]})
    s.call("sim patch bad", "PATCH", f"/api/v1/sims/{one}", {"status": "Nope"})
    s.call("sim patch viewer", "PATCH", f"/api/v1/sims/{one}", {"label": "x"}, who="viewer")
    s.call(
        "sims configure",
        "POST",
        "/api/v1/sims",
        {"sims": [{"iccid": two, "label": "Two"}, {"iccid": "8988228066000012345"}]},
    )
    s.call(
        "sims configure none",
        "POST",
        "/api/v1/sims",
        {"sims": [{"iccid": "8988228066000012345", "label": "ghost"}]},
    )
    s.call("sims configure bad", "POST", "/api/v1/sims", {"sims": []})
    s.call(
        "sims configure bulk",
        "POST",
        "/api/v1/sims",
        {"sims": [{"iccid": one, "label": f"bulk {i}"} for i in range(51)]},
    )
    job = (s.last.get("data") or {}).get("job_id")
    s.call("job of configure", "GET", f"/api/v1/jobs/{job}")
    s.call("sim reset", "POST", f"/api/v1/sims/{one}/reset", {"reset_type": "soft"})
    s.call("sim reset status", "GET", f"/api/v1/sims/{one}/reset/status")
    s.call("sim reset status none", "GET", f"/api/v1/sims/{two}/reset/status")
    s.call("sim connectivity reset", "POST", f"/api/v1/sims/{two}/connectivity/reset")
    s.call("sim sync", "POST", f"/api/v1/sims/{three}/sync")
    s.call("sims sync-all", "POST", "/api/v1/sims/sync-all")
    job = (s.last.get("data") or {}).get("job_id")
    s.call("job of sync-all", "GET", f"/api/v1/jobs/{job}")
    s.call("job unknown", "GET", "/api/v1/jobs/00000000-0000-0000-0000-000000000000")
    s.call("sim events", "GET", f"/api/v1/sims/{one}/events")
    s.call("sim events bad", "GET", f"/api/v1/sims/{one}/events?start_date=never")
    s.call("global limits", "GET", "/api/v1/sims/limits")
    s.call(
        "global limits set",
        "POST",
        "/api/v1/sims/limits",
        {"daily_data_limit": 1000000, "sms_blocked_destinations": ["4912345"]},
    )
    s.call("global limits bad", "POST", "/api/v1/sims/limits", {"daily_data_limit": -1})
    s.call("sim limits", "GET", f"/api/v1/sims/{one}/limits")
    s.call(
        "sim limits set",
        "PUT",
        f"/api/v1/sims/{one}/limits",
        {"monthly_data_limit": 5000000, "sms_allowed_destinations": ["4917"]},
    )
    s.call("sim limits after", "GET", f"/api/v1/sims/{one}/limits")
    s.call("products", "GET", "/api/v1/products")
    product = ((s.last.get("data") or [{}]) or [{}])[0].get("id")
    s.call("order", "POST", "/api/v1/orders", {"items": [{"product_id": product, "quantity": 1}]})
    order = (s.last.get("data") or {}).get("id")
    s.call(
        "order bad",
        "POST",
        "/api/v1/orders",
        {"items": [{"product_id": product, "quantity": 100000}]},
    )
    s.call("orders", "GET", "/api/v1/orders")
    s.call("order get", "GET", f"/api/v1/orders/{order}")
    # usage
    s.call("usage", "GET", f"/api/v1/sims/{one}/usage")
    s.call("usage weekly", "GET", f"/api/v1/sims/{one}/usage?granularity=week")
    s.call("usage bad", "GET", f"/api/v1/sims/{one}/usage?granularity=century")
    s.call("usage sync", "POST", f"/api/v1/sims/{one}/usage/sync")
    s.call("usage after sync", "GET", f"/api/v1/sims/{one}/usage")
    s.call("fleet usage", "GET", "/api/v1/usage")
    # quotas
    s.call("quota data", "GET", f"/api/v1/sims/{one}/quota/data")
    s.call("quota sms", "GET", f"/api/v1/sims/{one}/quota/sms")
    s.call(
        "topup",
        "POST",
        f"/api/v1/sims/{one}/topup",
        {"quota_type": "data", "volume": 524288000},
        headers={"Idempotency-Key": "rec-1"},
    )
    topup = (s.last.get("data") or {}).get("transaction_id")
    s.call(
        "topup again",
        "POST",
        f"/api/v1/sims/{one}/topup",
        {"quota_type": "data", "volume": 524288000},
        headers={"Idempotency-Key": "rec-1"},
    )
    s.call("topup get", "GET", f"/api/v1/sims/{one}/topups/{topup}")
    s.call("topup bad", "POST", f"/api/v1/sims/{one}/topup", {"quota_type": "data", "volume": 7})
    s.call(
        "topup foreign",
        "POST",
        f"/api/v1/sims/{foreign}/topup",
        {"quota_type": "data", "volume": 524288000},
    )
    s.call(
        "bulk topup",
        "POST",
        "/api/v1/sims/topup",
        {
            "sims": [
                {"iccid": two, "quota_type": "data", "volume": 524288000},
                {"iccid": three, "quota_type": "sms", "volume": 250},
            ]
        },
        headers={"Idempotency-Key": "rec-2"},
    )
    job = (s.last.get("data") or {}).get("job_id")
    s.call("job of bulk topup", "GET", f"/api/v1/jobs/{job}")
    s.call("bulk topup bad", "POST", "/api/v1/sims/topup", {"sims": [{"iccid": two}]})
    s.call(
        "bulk topup foreign",
        "POST",
        "/api/v1/sims/topup",
        {"sims": [{"iccid": foreign, "quota_type": "data", "volume": 524288000}]},
    )
    s.call(
        "auto topup",
        "POST",
        "/api/v1/sims/auto-topup",
        {"sims": [one, two], "threshold_percentage": 80, "topup_amount": 524288000},
    )
    s.call(
        "auto topup odd",
        "POST",
        "/api/v1/sims/auto-topup",
        {"sims": [one], "threshold_percentage": 80, "topup_amount": 7},
    )
    s.call(
        "auto topup foreign",
        "POST",
        "/api/v1/sims/auto-topup",
        {"sims": [foreign], "threshold_percentage": 80, "topup_amount": 524288000},
    )
    s.call("quota data after", "GET", f"/api/v1/sims/{one}/quota/data")
    # sms
    s.call("sms send blocked", "POST", f"/api/v1/sims/{two}/sms", {"message": "hi"})
    s.call(
        "sms send",
        "POST",
        f"/api/v1/sims/{three}/sms",
        {"message": "hello"},
        headers={"Idempotency-Key": "rec-3"},
    )
    sms = (s.last.get("data") or {}).get("sms_id")
    s.call(
        "sms send again",
        "POST",
        f"/api/v1/sims/{three}/sms",
        {"message": "hello"},
        headers={"Idempotency-Key": "rec-3"},
    )
    s.call("sms send bad", "POST", f"/api/v1/sims/{three}/sms", {"message": "x" * 1001})
    s.call("sms list", "GET", f"/api/v1/sims/{three}/sms")
    s.call("sms get", "GET", f"/api/v1/sims/{three}/sms/{sms}")
    s.call("sms cancel", "DELETE", f"/api/v1/sims/{three}/sms/{sms}")
    s.call("sms get unknown", "GET", f"/api/v1/sims/{three}/sms/nope")
    # the rest
    s.call("scheduler", "GET", "/api/v1/scheduler/status")
    s.call("audit", "GET", "/api/v1/audit?page_size=100")
    s.call("anonymous sims", "GET", "/api/v1/sims", who="anonymous")
    return s.answers


def test_every_endpoint_answers_as_recorded(scenario):
    answers = run(*scenario)
    if os.environ.get("RECORD_ANSWERS"):
        RECORDING.parent.mkdir(exist_ok=True)
        RECORDING.write_text(json.dumps(answers, indent=1, sort_keys=True) + "\n")
        pytest.skip(f"recorded {len(answers)} answers in {RECORDING}")
    recorded = json.loads(RECORDING.read_text())
    assert [a["call"] for a in answers] == [r["call"] for r in recorded]
    changed = [
        "\n".join(difflib.unified_diff(pretty(expected), pretty(got), expected["call"], "now", n=2))
        for got, expected in zip(answers, recorded, strict=True)
        if got != expected
    ]
    assert not changed, "\n\n".join(changed)


def pretty(answer: dict) -> list[str]:
    return json.dumps(answer, indent=1, sort_keys=True).splitlines()
