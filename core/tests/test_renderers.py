"""``EnvelopeJSONRenderer`` writes with orjson, and writes the bytes DRF's JSONRenderer writes."""

import dataclasses
import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.utils.functional import lazy
from rest_framework.exceptions import ErrorDetail
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from core import renderers
from core.renderers import EnvelopeJSONRenderer, RenderedJSON, written


@dataclasses.dataclass
class Point:
    x: int
    y: float


VALUES = [
    {"plain": "text", "n": 1, "f": 2.5, "t": True, "none": None, "nested": [1, [2, {"a": "b"}]]},
    {"small": 1e-07, "tiny": -5e-05, "edge": 0.0001, "zero": 0.0, "neg": -0.0, "big": 1e22},
    {"huge_int": 12345678901234567890123, "max64": 2**63 - 1, "min64": -(2**63)},
    {"separators": "line\u2028para\u2029end", "controls": "".join(map(chr, range(32)))},
    {"unicode": "Ünïcödé 漢字 \U0001f600", "quote": 'say "hi" \\ /'},
    {"when": dt.datetime(2026, 12, 1, 12, 0, 0, 123456, tzinfo=dt.UTC)},
    {"naive": dt.datetime(2026, 12, 1, 12, 0), "day": dt.date(2026, 12, 1), "at": dt.time(9, 30)},
    {"span": dt.timedelta(hours=1, seconds=5), "money": Decimal("12.5000000")},
    {"id": uuid.UUID("12345678-1234-5678-1234-567812345678"), "set": {3}, "tuple": (1, 2)},
    {"error": ErrorDetail("bad", code="invalid"), "lazy": lazy(lambda: "later", str)()},
    {1: "int key", None: "none key"},
    ReturnDict({"a": ReturnList([1, 2], serializer=None)}, serializer=None),
    {"text_like_a_float": "version 0.00001 and 3e-5"},
    [],
    "a string",
]


@pytest.mark.parametrize("value", VALUES, ids=range(len(VALUES)))
def test_the_bytes_are_drfs(value):
    assert EnvelopeJSONRenderer().write(value, None, {}) == JSONRenderer().render(value)


def test_an_indent_asked_for_is_drfs():
    value = {"a": [1, 2]}
    media_type = "application/json; indent=2"
    written = EnvelopeJSONRenderer().write(value, media_type, {})
    assert written == JSONRenderer().render(value, media_type) and b"\n" in written


@pytest.mark.parametrize("value", [{"x": object()}, {"point": Point(1, 0.5)}])
def test_a_value_drf_cannot_write_fails_as_drf_fails(value):
    with pytest.raises(TypeError):
        JSONRenderer().render(value)
    with pytest.raises(TypeError):
        EnvelopeJSONRenderer().write(value, None, {})


def test_ordinary_answers_are_written_by_orjson(monkeypatch):
    def drf_render(*args, **kwargs):
        raise AssertionError("DRF's writer was used")

    value = {"data": [{"iccid": "8988228000000000001", "tags": ["a"], "n": 1.5}], "ok": True}
    expected = JSONRenderer().render(value)
    monkeypatch.setattr(JSONRenderer, "render", drf_render)
    assert EnvelopeJSONRenderer().write(value, None, {}) == expected


class _Request:
    request_id = "req-\u2028-1"  # the envelope's own members are written as carefully


def _enveloped(data, *, status=200, paginated=False, media_type=None):
    response = Response(status=status)
    response.paginated = paginated
    context = {"response": response, "request": _Request(), "view": None}
    return EnvelopeJSONRenderer().render(data, media_type, context)


@pytest.fixture
def fixed_clock(monkeypatch):
    monkeypatch.setattr(renderers, "utc_timestamp", lambda: "2026-12-01T12:00:00Z")


@pytest.mark.parametrize("value", VALUES, ids=range(len(VALUES)))
def test_an_answer_kept_as_bytes_is_enveloped_as_the_answer_itself(value, fixed_clock):
    kept = RenderedJSON(written(value))
    assert kept.content == JSONRenderer().render(value)
    assert _enveloped(kept) == _enveloped(value)
    page = {"data": [value], "pagination": {"total": 1, "page": 1}}
    assert _enveloped(RenderedJSON(written(page)), paginated=True) == _enveloped(
        page, paginated=True
    )
    assert b'"meta":{"timestamp":"2026-12-01T12:00:00Z","request_id":"req-\\u2028-1"}}' in (
        _enveloped(RenderedJSON(written(page)), paginated=True)
    )


@pytest.mark.parametrize("media_type", ["application/json; indent=2", None])
def test_an_answer_kept_as_bytes_is_written_anew_where_it_must_be(media_type, fixed_clock):
    value = {"data": [{"a": 1}], "pagination": {"total": 1}}
    kept = RenderedJSON(written(value))
    # Asked for indented, or the status says it failed: read back and written as always.
    assert _enveloped(kept, media_type="application/json; indent=2") == _enveloped(
        value, media_type="application/json; indent=2"
    )
    failed = {"error": {"code": "X", "message": "m"}}
    assert _enveloped(RenderedJSON(written(failed)), status=400, media_type=media_type) == (
        _enveloped(failed, status=400, media_type=media_type)
    )
    # A paginated answer that has no members to splice in is written anew too.
    assert _enveloped(RenderedJSON(b"{}"), paginated=True, media_type=media_type) == (
        _enveloped({}, paginated=True, media_type=media_type)
    )
