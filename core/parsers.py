"""The API's JSON parser: DRF's, with a size cap and a nesting limit.

Python's ``json`` recurses once per nesting level, so a body of a thousand brackets raises
``RecursionError`` (a 500) inside the parser, and a document just under that limit breaks
whatever recursive code touches it next (serializers, audit redaction, ``json.dumps``). No
request of ours nests deeper than a handful of levels, so anything past ``MAX_JSON_DEPTH`` is a
400 before a view sees it. The size cap (``API_MAX_BODY_BYTES``) is also checked on the
``Content-Length`` by ``core.middleware.RequestGuardMiddleware``; the parser enforces it on
the bytes actually read.
"""

import codecs

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.utils import json

from core.exceptions import PayloadTooLarge

MAX_JSON_DEPTH = 32


def json_depth(value, *, limit: int) -> int:
    """The nesting depth of a parsed JSON value (a scalar is 0, ``[]`` and ``{}`` are 1),
    counted without recursion; stops as soon as it exceeds ``limit`` and returns ``limit + 1``.
    """
    deepest = 0
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > limit:
            return limit + 1
        stack.extend((child, depth + 1) for child in children)
    return deepest


def payload_too_large() -> PayloadTooLarge:
    limit = settings.API_MAX_BODY_BYTES
    return PayloadTooLarge(f"The request body exceeds {limit} bytes.", details={"max_bytes": limit})


class FleetJSONParser(JSONParser):
    """JSON bodies of at most ``API_MAX_BODY_BYTES`` nested at most ``MAX_JSON_DEPTH`` deep."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        limit = settings.API_MAX_BODY_BYTES
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise payload_too_large()
        try:
            text = codecs.decode(raw, encoding)
            data = json.loads(text, parse_constant=json.strict_constant if self.strict else None)
        except RecursionError:
            raise ParseError(f"JSON nests deeper than {MAX_JSON_DEPTH} levels.") from None
        except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError included
            raise ParseError(f"JSON parse error - {exc}") from None
        if json_depth(data, limit=MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
            raise ParseError(f"JSON nests deeper than {MAX_JSON_DEPTH} levels.")
        return data
