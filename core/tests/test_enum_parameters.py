"""Nothing is silently ignored: every query parameter the schema documents with a fixed set of
values (a status, an event type, a granularity, a sort field...) answers an unknown value with
422 naming the parameter and the values it takes, on every GET the schema lists."""

import pytest

from accounts.models import Role
from sims.tests.factories import SimFactory

pytestmark = pytest.mark.django_db

BOGUS = "bogus"


def enum_parameters(schema: dict) -> list[tuple[str, str, list]]:
    """(path, parameter, values) of every GET query parameter documented with an enum."""
    found = []
    for path, operations in schema["paths"].items():
        get = operations.get("get")
        if get is None or "{id}" in path:  # no object of another area's to name here
            continue
        for parameter in get.get("parameters", []):
            if parameter.get("in") != "query":
                continue
            shape = parameter.get("schema", {})
            values = shape.get("enum") or shape.get("items", {}).get("enum")
            if values:
                found.append((path, parameter["name"], values))
    return found


def test_every_enum_parameter_refuses_an_unknown_value_listing_the_allowed(
    client_for, organization
):
    client = client_for(Role.ADMIN)
    schema = client.get("/openapi.json").json()
    sim = SimFactory(organization=organization)
    checked, refused_badly = 0, []
    for path, name, values in enum_parameters(schema):
        response = client.get(path.format(iccid=sim.iccid), {name: BOGUS})
        checked += 1
        if response.status_code != 422:
            refused_badly.append((path, name, response.status_code))
            continue
        errors = response.json()["error"]["details"]["errors"]
        messages = " ".join(e["msg"] for e in errors if e["loc"][-1] == name)
        if not all(str(value) in messages for value in values):
            refused_badly.append((path, name, messages))
    assert checked >= 25
    assert not refused_badly, "\n".join(map(repr, refused_badly))
