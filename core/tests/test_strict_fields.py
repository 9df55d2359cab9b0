"""Nothing a client sends is silently ignored: every write endpoint of the matrix refuses a
body field it does not know with 422 naming it, and every choice filter names the values it
accepts."""

import importlib
from pathlib import Path

import pytest
from django.apps import apps
from rest_framework import serializers
from rest_framework.test import APIClient

from accounts.models import Role
from core.serializers import StrictFieldsMixin
from core.tests.test_endpoints import ENDPOINTS, SAMPLE
from sims.tests.factories import SimFactory

pytestmark = pytest.mark.django_db

UNEXPECTED = "surprise_field"


def field_error_locs(response) -> list[list]:
    return [error["loc"] for error in response.json()["error"]["details"]["errors"]]


def project_serializers() -> list[type]:
    """Every serializer class defined in one of our apps' ``api.serializers`` modules."""
    root = str(Path(apps.get_app_config("core").path).parent)
    found = []
    for config in apps.get_app_configs():
        if not config.path.startswith(root) or "site-packages" in config.path:
            continue  # third-party app
        try:
            module = importlib.import_module(f"{config.name}.api.serializers")
        except ModuleNotFoundError:
            continue
        found.extend(
            value
            for value in vars(module).values()
            if isinstance(value, type)
            and issubclass(value, serializers.BaseSerializer)
            and value.__module__ == module.__name__
        )
    return found


def test_every_serializer_of_ours_refuses_unknown_fields():
    classes = project_serializers()
    assert len(classes) > 40  # the walk found the apps' serializers
    lax = [cls.__qualname__ for cls in classes if not issubclass(cls, StrictFieldsMixin)]
    assert not lax, f"derive from core.serializers.FleetSerializer or FleetModelSerializer: {lax}"


WRITES = [param for param in ENDPOINTS if param.values[0] in ("POST", "PUT", "PATCH")]


@pytest.mark.parametrize(("method", "path", "concrete"), WRITES)
def test_every_write_endpoint_names_an_unknown_field(
    method, path, concrete, make_user, organization, settings
):
    settings.OPEN_REGISTRATION = True  # so /api/auth/register reads its body
    SimFactory(organization=organization, iccid=SAMPLE)
    client = APIClient()
    client.force_authenticate(make_user(role=Role.ADMIN))
    response = getattr(client, method.lower())(concrete, {UNEXPECTED: 1}, format="json")
    assert response.status_code == 422, response.content
    assert [UNEXPECTED] in field_error_locs(response), response.content


def test_unknown_field_is_refused_beside_valid_ones_and_nothing_is_written(
    operator_client, organization
):
    sim = SimFactory(organization=organization, label="before")
    response = operator_client.patch(
        f"/api/v1/sims/{sim.iccid}", {"label": "after", "lable": "typo"}, format="json"
    )
    assert response.status_code == 422, response.content
    assert field_error_locs(response) == [["lable"]]
    assert "label" in response.json()["error"]["details"]["errors"][0]["msg"]
    sim.refresh_from_db()
    assert sim.label == "before"


def test_unknown_field_inside_a_nested_item_is_named_with_its_path(operator_client):
    body = {"sims": [{"iccid": SAMPLE, "quota_type": "data", "volume": 1, "colour": "red"}]}
    response = operator_client.post("/api/v1/sims/topup", body, format="json")
    assert response.status_code == 422, response.content
    assert ["sims", 0, "colour"] in field_error_locs(response)


def test_read_only_fields_sent_back_are_refused_too(client_for):
    response = client_for(Role.ADMIN).post(
        "/api/v1/auth/api-keys", {"name": "ci", "revoked": False}, format="json"
    )
    assert response.status_code == 422, response.content
    assert field_error_locs(response) == [["revoked"]]


def test_a_serializer_choice_error_lists_the_allowed_values(operator_client, organization):
    sim = SimFactory(organization=organization)
    response = operator_client.get(f"/api/v1/sims/{sim.iccid}/usage", {"granularity": "hourly"})
    assert response.status_code == 422, response.content
    message = response.json()["error"]["details"]["errors"][0]["msg"]
    assert "daily, weekly, monthly" in message


@pytest.mark.parametrize(
    ("url", "parameter", "allowed"),
    [
        ("/api/v1/sims", "status", "Enabled"),
        ("/api/v1/sims/{iccid}/events", "event_type", "configuration_changed"),
        ("/api/v1/sims/{iccid}/sms", "status", "delivered"),
        ("/api/v1/sims/{iccid}/sms", "direction", "MO"),
        ("/api/v1/audit", "status", "success"),
    ],
)
def test_an_invalid_choice_filter_lists_the_allowed_values(
    client_for, organization, url, parameter, allowed
):
    sim = SimFactory(organization=organization)
    client = client_for(Role.ADMIN)
    response = client.get(url.format(iccid=sim.iccid), {parameter: "bogus"})
    assert response.status_code == 422, response.content
    errors = response.json()["error"]["details"]["errors"]
    assert errors[0]["loc"] == [parameter]
    assert "'bogus'" in errors[0]["msg"] and "use one of:" in errors[0]["msg"]
    assert allowed in errors[0]["msg"]
