"""The FleetOps envelope, applied once, here, to every JSON answer of the API.

Views return plain data; paginated lists return ``{"data", "pagination"}`` (see
``core.pagination``); the exception handler returns ``{"error"}``. A view that must answer
unwrapped (token endpoints, seed 003's legacy shapes) sets ``envelope = False``; its errors
are still enveloped.

Data may also come already written (:class:`RenderedJSON`, of :func:`written` bytes): a read
cache keeps an answer as the bytes this renderer wrote for it, and serves it again with the
envelope written around them, not read back and written anew.
"""

import re
from datetime import UTC, datetime

import orjson
from rest_framework.renderers import JSONRenderer

from core.exceptions import error_payload

# Where orjson and Python's json write the same value differently: floats under 1e-4
# (``1e-7``, ``0.00005`` against ``1e-07``, ``5e-05``). Output that may hold one is written
# again by DRF's own writer (a string holding such text only costs that). An exponent is
# searched in a copy with every digit a 0 (``bytes.translate`` and ``in`` run in C; a regex
# would scan in steps), ``0.0000`` as it is (a copy would find it in every timestamp).
_ZEROED = bytes.maketrans(b"123456789", b"000000000")
_SMALL_DECIMAL = re.compile(rb"0\.0000")
_NUMBER = frozenset(b"0123456789.")


def _may_differ(out: bytes) -> bool:
    if b"0e-0" in out.translate(_ZEROED):
        return True
    return b"0.0000" in out and any(
        not m.start() or out[m.start() - 1] not in _NUMBER for m in _SMALL_DECIMAL.finditer(out)
    )


def _javascript_safe(out: bytes) -> bytes:
    """As DRF writes JSON: a strict JavaScript subset, U+2028 and U+2029 escaped. Both start
    with the byte E2, found by ``memchr`` at once in an answer that has none (most)."""
    if b"\xe2" not in out:
        return out
    return out.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")


_ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


class RenderedJSON:
    """Data as :func:`written` wrote it: the same bytes the renderer writes for the data
    itself. ``value`` reads it back (a renderer that must write it otherwise, e.g. indented)."""

    __slots__ = ("content",)

    def __init__(self, content: bytes):
        self.content = content

    @property
    def value(self):
        return orjson.loads(self.content)

    def __repr__(self) -> str:
        return f"RenderedJSON({self.content[:60]!r}...)"


def written(data) -> bytes:
    """``data`` as the API writes it (compact, the same bytes as DRF), to keep and answer
    again as :class:`RenderedJSON`."""
    return EnvelopeJSONRenderer().write(data, None, None)


def utc_timestamp() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def meta_for(request) -> dict:
    return {
        "timestamp": utc_timestamp(),
        "request_id": getattr(request, "request_id", None)
        or getattr(getattr(request, "_request", None), "request_id", None),
    }


class EnvelopeJSONRenderer(JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        renderer_context = renderer_context or {}
        response = renderer_context.get("response")
        failed = response is not None and (response.exception or response.status_code >= 400)
        if isinstance(data, RenderedJSON) and (
            failed or not self.writes_as_is(accepted_media_type, renderer_context)
        ):
            data = data.value
        if response is None or response.status_code == 204:
            return self.write(data, accepted_media_type, renderer_context)
        if not failed and not getattr(renderer_context.get("view"), "envelope", True):
            return self.write(data, accepted_media_type, renderer_context)
        request = renderer_context.get("request")
        if isinstance(data, RenderedJSON):
            return self.wrap_written(data, response, request, accepted_media_type, renderer_context)
        return self.write(self.wrap(data, response, request), accepted_media_type, renderer_context)

    def writes_as_is(self, accepted_media_type, renderer_context) -> bool:
        """Whether this answer is written as :func:`written` writes: compact, no indent."""
        return (
            self.compact
            and not self.ensure_ascii
            and self.get_indent(accepted_media_type, renderer_context or {}) is None
        )

    def wrap_written(self, data, response, request, accepted_media_type, renderer_context):
        """``wrap`` around data already written: the envelope's own members written as
        ``write`` writes them, the data's bytes between them as they are. The same bytes as
        writing the wrapped data, key order included (``core.tests.test_renderers``)."""
        meta = self.write(meta_for(request), accepted_media_type, renderer_context)
        content = data.content
        if not getattr(response, "paginated", False):
            return b'{"success":true,"data":' + content + b',"meta":' + meta + b"}"
        if content[:1] != b"{" or content == b"{}":  # not members to splice in
            return self.write(
                self.wrap(data.value, response, request), accepted_media_type, renderer_context
            )
        return b'{"success":true,' + content[1:-1] + b',"meta":' + meta + b"}"

    def write(self, data, accepted_media_type, renderer_context) -> bytes:
        """DRF's ``JSONRenderer.render``, the same bytes, written by orjson when they are sure
        to be the same: compact output with no indent asked for, and nothing orjson writes
        otherwise (datetimes, dataclasses and other types go through DRF's encoder; non-string
        keys, integers past 64 bits, lone surrogates and small floats take DRF's path). One
        difference is left: a NaN is written ``null``, where DRF would fail the answer."""
        if isinstance(data, RenderedJSON):
            return data.content
        if data is None or not self.writes_as_is(accepted_media_type, renderer_context):
            return super().render(data, accepted_media_type, renderer_context)
        try:
            out = orjson.dumps(data, default=self.encoder_class().default, option=_ORJSON_OPTIONS)
        except TypeError:  # orjson.JSONEncodeError included
            return super().render(data, accepted_media_type, renderer_context)
        if _may_differ(out):
            return super().render(data, accepted_media_type, renderer_context)
        return _javascript_safe(out)

    @staticmethod
    def wrap(data, response, request) -> dict:
        if response.exception or response.status_code >= 400:
            error = data.get("error") if isinstance(data, dict) else None
            if error is None:  # an error response not built by our handler
                error = error_payload("ERROR", str(data))
            return {"success": False, "error": error, "meta": meta_for(request)}
        if getattr(response, "paginated", False):
            return {"success": True, **data, "meta": meta_for(request)}
        return {"success": True, "data": data, "meta": meta_for(request)}
