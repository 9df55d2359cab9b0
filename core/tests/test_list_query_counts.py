"""Every list the API serves has its query count pinned exactly, for one row and several
(NetBox style; ``core.tests.api.ListObjectsCases``): a list is a GET the schema documents
with paging parameters, and a new one without a pinned count fails here.

A list is pinned by an endpoint test class built on ``ListObjectsCases`` (found as the
tenancy mutation test finds them, so a new class counts without being listed here), or, for
the few whose answer is not the envelope's page, by a test named in ``PINNED_ELSEWHERE``.
"""

import re

import pytest
from django.conf import settings
from drf_spectacular.generators import SchemaGenerator

from core.tests.api import ListObjectsCases
from core.tests.spec import require_spec, spec_rows
from core.tests.test_tenancy_mutation import endpoint_test_classes

pytestmark = pytest.mark.django_db

PAGING = {"page", "limit"}
# Lists whose answer is not the envelope's page, or scoped otherwise than by organization:
# pinned by a test of their own (path: "file::test").
PINNED_ELSEWHERE = {
    "/api/v1/payments/history": (
        "payments/tests/test_history_api.py::test_history_query_count_is_pinned"
    ),
    "/api/v1/user/authorizations": (
        "provisioning/tests/test_lists.py::test_authorizations_query_count_is_pinned"
    ),
}


def shape(path: str) -> str:
    """A path with its parameters unnamed (they match by position) and no trailing slash."""
    return re.sub(r"\{[^}]+\}", "{}", path).rstrip("/")


def schema_gets() -> dict[str, set[str]]:
    """The query parameters of every GET the schema documents, by path (shaped)."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        shape(path): {p["name"] for p in get.get("parameters", []) if p.get("in") == "query"}
        for path, operations in schema["paths"].items()
        if (get := operations.get("get")) is not None
    }


def schema_lists() -> set[str]:
    """The paths (shaped) of every GET the schema documents with paging parameters."""
    return {path for path, names in schema_gets().items() if names & PAGING}


def matches(shaped: str, url: str) -> bool:
    pattern = "/".join("[^/]+" if part == "{}" else re.escape(part) for part in shaped.split("/"))
    return re.fullmatch(pattern + "/?", url) is not None


def pinned_by_test_elsewhere(reference: str) -> bool:
    file, name = reference.split("::")
    source = settings.BASE_DIR / file
    return source.exists() and f"def {name}(" in source.read_text()


def test_every_list_has_its_query_count_pinned(organization):
    lists = schema_lists()
    assert len(lists) >= 15  # the schema was read
    pinned = {}
    for cls in endpoint_test_classes():
        if not issubclass(cls, ListObjectsCases):
            continue
        assert isinstance(getattr(cls, "list_queries", None), int), cls.__name__
        case = cls()
        url = case.list_url(case.make_objects(organization, 1))
        pinned.update({path: cls.__name__ for path in lists if matches(path, url)})
    for path, reference in PINNED_ELSEWHERE.items():
        assert pinned_by_test_elsewhere(reference), f"{reference} is gone"
        pinned[shape(path)] = reference
    assert not lists - set(pinned), f"lists without a pinned query count: {lists - set(pinned)}"


def test_every_api_get_of_the_spec_is_in_the_schema_the_check_reads():
    """So no list of shared/spec/endpoints.tsv escapes the check above."""
    require_spec()
    documented = schema_gets()
    missing = {
        row.path
        for row in spec_rows()
        if row.method == "GET"
        and row.path.startswith("/api/v1/")
        and shape(row.path) not in documented
    }
    assert not missing, f"spec GETs the schema does not document: {missing}"
