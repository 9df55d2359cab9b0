"""``shared/spec/endpoints.tsv``, the endpoint list beside the repository, read in one place
for the tests built on it (the endpoint matrix, the routing test).

Without the file every case built on it would silently vanish: in CI (``CI`` set, as CI
services set it) that is a failure; on a developer's machine a skip that says what is missing.
"""

import os
from pathlib import Path
from typing import NamedTuple

import pytest

SPEC = Path(__file__).resolve().parents[3] / "shared" / "spec" / "endpoints.tsv"


class SpecRow(NamedTuple):
    method: str
    path: str
    area: str


def spec_rows(spec: Path = SPEC) -> list[SpecRow]:
    """The spec's endpoints (none when the file is missing: see :func:`require_spec`)."""
    if not spec.exists():
        return []
    rows = []
    for line in spec.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        method, path, area, *_ = line.split("\t")
        rows.append(SpecRow(method, path, area))
    return rows


def in_ci(environ=os.environ) -> bool:
    return environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def require_spec(spec: Path = SPEC, environ=os.environ) -> None:
    """Fail in CI, skip elsewhere, when the spec's endpoint list is missing."""
    if spec.exists():
        return
    reason = f"the endpoint matrix needs {spec} (the shared spec checked out beside the repo)"
    if in_ci(environ):
        pytest.fail(f"{reason}; in CI a missing matrix fails instead of skipping")
    pytest.skip(reason)
