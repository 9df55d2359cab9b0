"""One paginator for the whole API.

Accepts ``page``/``page_size`` (seed 001), ``limit``/``offset`` (seed 004) and ``skip``/``limit``
(seed 003's audit API); always answers the pagination object of DESIGN.md. Refuses to page an
unordered queryset: a page of an unordered query is a random sample, not a page.

A page of a queryset is handed back as the sliced, unevaluated queryset, so a model serializer
can fetch it as ``values()`` rows (``core.fastread``). The total is counted on every page unless
the view names a cache generation (``count_generation()``, a string that changes with every
write to what it lists and never names an earlier state again, e.g. the SIM read cache's
version): then each distinct count query is counted once per generation and read from the
cache after that (and from this process's memory for a minute), still exact.
"""

import hashlib
import math
import re
import time

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response

from core.degraded import cache_get, cache_set

# Offsets reach PostgreSQL as bigint: anything past it is a database error, not an empty page.
MAX_OFFSET = 2**63 - 1
# Plain ASCII digits only: int() would also take "1_0", " 1" and other scripts' digits.
_INTEGER = re.compile(r"-?[0-9]+")


def _int_param(request, name: str, *, minimum: int, maximum: int = MAX_OFFSET) -> int | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    if not _INTEGER.fullmatch(raw):
        raise ValidationError({name: [f"{name} must be an integer."]}, code="type_error")
    # Compare lengths first: int() refuses strings of over 4,300 digits.
    value = int(raw) if len(raw) <= 20 else (-1 if raw.startswith("-") else maximum + 1)
    if value < minimum:
        raise ValidationError({name: [f"{name} must be at least {minimum}."]}, code="min_value")
    if value > maximum:
        _too_large(name, maximum)
    return value


COUNT_TTL = 5 * 60

# Totals this process has read, by their cache key, for a minute: the key names the generation,
# which changes with every write to what is counted (and, for the SIM read cache, never names
# a generation again once Redis has lost it), so a total kept here is as exact as the cache's.
_known_counts: dict[str, tuple[float, int]] = {}
_KNOWN_COUNTS_MAX = 10_000
KNOWN_COUNT_SECONDS = 60


def count_of(queryset, view=None) -> int:
    """``queryset.count()``, from the cache when ``view`` has a ``count_generation()``."""
    generation = getattr(view, "count_generation", None)
    generation = generation() if generation is not None else None
    if generation is None or not isinstance(queryset, QuerySet):
        return queryset.count()
    sql, params = queryset.query.sql_with_params()
    digest = hashlib.sha256(repr((sql, params)).encode()).hexdigest()[:32]
    key = f"counts:{generation}:{digest}"
    now = time.monotonic()
    known = _known_counts.get(key)
    if known is not None and known[0] > now:
        return known[1]
    total = cache_get(key)
    if total is None:
        total = queryset.count()
        cache_set(key, total, timeout=COUNT_TTL)
    if len(_known_counts) >= _KNOWN_COUNTS_MAX:
        _known_counts.clear()
    _known_counts[key] = (now + KNOWN_COUNT_SECONDS, total)
    return total


def _too_large(name: str, maximum: int):
    raise ValidationError({name: [f"{name} must be at most {maximum}."]}, code="max_value")


class FleetPagination(BasePagination):
    max_page_size: int | None = None  # None: settings.API_MAX_PAGE_SIZE

    def get_max_page_size(self) -> int:
        return self.max_page_size or settings.API_MAX_PAGE_SIZE

    def paginate_queryset(self, queryset, request, view=None, *, total: int | None = None):
        """The page the request asks for; ``total``, when the view counted it already (with
        other figures, in one query), is taken as the count."""
        if hasattr(queryset, "ordered") and not queryset.ordered:
            raise ImproperlyConfigured(
                f"{type(view).__name__} pages an unordered queryset; give it an ordering."
            )
        page = _int_param(request, "page", minimum=1)
        page_size = _int_param(request, "page_size", minimum=1)
        limit = _int_param(request, "limit", minimum=1)
        offset = _int_param(request, "offset", minimum=0)
        skip = _int_param(request, "skip", minimum=0)
        if offset is not None and skip is not None:
            raise ValidationError({"skip": ["Use either offset or skip, not both."]})

        size = min(page_size or limit or settings.API_PAGE_SIZE, self.get_max_page_size())
        if offset is None and skip is None:
            page = page or 1
            start = (page - 1) * size
            if start > MAX_OFFSET:
                _too_large("page", MAX_OFFSET // size + 1)
        else:
            start = offset if offset is not None else skip
            page = start // size + 1
            self.offset_style = "offset" if offset is not None else "skip"

        self.total = count_of(queryset, view) if total is None else total
        self.start, self.size, self.page = start, size, page
        page_items = queryset[start : start + size]
        return page_items if isinstance(page_items, QuerySet) else list(page_items)

    def get_pagination(self) -> dict:
        total_pages = math.ceil(self.total / self.size) if self.total else 0
        pagination = {
            "total": self.total,
            "page": self.page,
            "page_size": self.size,
            "total_pages": total_pages,
            "has_next": self.start + self.size < self.total,
            "has_prev": self.start > 0,
        }
        if getattr(self, "offset_style", None):
            pagination.update({self.offset_style: self.start, "limit": self.size})
        return pagination

    def get_paginated_response(self, data):
        response = Response({"data": data, "pagination": self.get_pagination()})
        response.paginated = True
        return response

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["success", "data", "pagination", "meta"],
            "properties": {
                "success": {"type": "boolean", "example": True},
                "data": schema,
                "pagination": {"$ref": "#/components/schemas/Pagination"},
                "meta": {"$ref": "#/components/schemas/Meta"},
            },
        }

    def get_schema_operation_parameters(self, view):
        def param(name, minimum, description):
            # The minimums are _int_param's: below them the API answers 422.
            return {
                "name": name,
                "required": False,
                "in": "query",
                "description": description,
                "schema": {"type": "integer", "minimum": minimum},
            }

        return [
            param("page", 1, "Page number, from 1."),
            param(
                "page_size",
                1,
                f"Items per page (default {settings.API_PAGE_SIZE}, max "
                f"{self.get_max_page_size()}; larger asks get the max).",
            ),
            param("limit", 1, "Items per page, with offset or skip."),
            param("offset", 0, "Items to skip (seed 004 style)."),
            param("skip", 0, "Items to skip (seed 003 style; not with offset)."),
        ]
