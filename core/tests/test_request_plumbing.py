"""The lighter takes on third-party request plumbing answer as the originals do."""

import pytest
from django.test import RequestFactory
from prometheus_client import CollectorRegistry, Counter
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.request import Request

from core.middleware import ConsoleMessageMiddleware, _LabelledChildren
from core.negotiation import FleetContentNegotiation
from core.renderers import EnvelopeJSONRenderer


def test_a_labelled_child_is_prometheus_own_found_once():
    counter = Counter("plumbing_test", "test", ["view"], registry=CollectorRegistry())
    children = _LabelledChildren()
    first = children.label_metric(counter, None, view="sims-list")
    first.inc()
    assert children.label_metric(counter, None, view="sims-list") is first
    assert first is counter.labels(view="sims-list")
    assert children.label_metric(counter, None, view="other") is not first
    assert children.label_metric(counter, None) is counter


@pytest.mark.parametrize(
    ("path", "stored"), [("/api/v1/sims", False), ("/admin/", True), ("/apiary", True)]
)
def test_message_storage_is_for_the_console_only(path, stored):
    request = RequestFactory().get(path)
    request.session = {}
    ConsoleMessageMiddleware(lambda r: None).process_request(request)
    assert hasattr(request, "_messages") is stored


@pytest.mark.parametrize(
    ("query", "accept"),
    [
        ("", None),
        ("", "*/*"),
        ("", "application/json"),
        ("", "text/html"),
        ("", "application/json; indent=4"),
        ("", "text/html;q=0.9, application/json;q=1.0"),
        ("format=json", "*/*"),
        ("format=api", None),
    ],
)
def test_negotiation_answers_as_drf(query, accept):
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    request = Request(RequestFactory().get(f"/api/v1/sims?{query}", **headers))
    renderers = [EnvelopeJSONRenderer(), BrowsableAPIRenderer()]
    ours = FleetContentNegotiation().select_renderer(request, renderers)
    drf = DefaultContentNegotiation().select_renderer(request, renderers)
    assert (type(ours[0]), ours[1]) == (type(drf[0]), drf[1])
