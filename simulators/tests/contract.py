"""Validation of the simulator's answers against 1NCE's own OpenAPI files (vendored copies)."""

import json
from functools import cache
from pathlib import Path

import yaml
from openapi_schema_validator import OAS30Validator

CONTRACT_DIR = Path(__file__).resolve().parent.parent / "onence" / "contract"

AUTH = "authorization.json"
V1 = "sim-management-v1.json"
V1_LATER = "sim-management-v1-later.yml"
V2 = "sim-management-v2.yml"
ORDERS = "order-management.json"
PRODUCTS = "product-information.json"


@cache
def load(name: str) -> dict:
    text = (CONTRACT_DIR / name).read_text()
    return json.loads(text) if name.endswith(".json") else yaml.safe_load(text)


def operation_response(name: str, method: str, template: str, status: int) -> dict:
    """The contract's response object for this operation and status (it must be documented)."""
    spec = load(name)
    responses = spec["paths"][template][method.lower()]["responses"]
    assert str(status) in responses, f"{status} is not documented for {method} {template}"
    response = responses[str(status)]
    if "$ref" in response:
        response = _resolve(spec, response["$ref"])
    return response


def check(name: str, method: str, template: str, response) -> None:
    """Assert an HTTP response matches the contract: status, headers and body schema."""
    spec = load(name)
    documented = operation_response(name, method, template, response.status_code)
    for header, definition in (documented.get("headers") or {}).items():
        assert header in response.headers, f"missing header {header}"
        if definition.get("schema", {}).get("type") == "integer":
            int(response.headers[header])
    content = documented.get("content") or {}
    if not content:
        if response.status_code < 400:
            assert response.content == b"", "the contract defines no body here"
        return
    media = content.get("application/json") or content.get("*/*")
    schema = {**media["schema"], "components": spec.get("components", {})}
    errors = sorted(OAS30Validator(schema).iter_errors(json.loads(response.content)), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])


def _resolve(spec: dict, ref: str) -> dict:
    node = spec
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node
