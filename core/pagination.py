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

With a generation, a deep page is not read with a deep OFFSET either: PostgreSQL reads every row
an OFFSET skips, on every page (about 0.6 ms of its CPU for an average page of 10,000 SIMs, and
growing with the fleet). When the ordering is total and plain (non-null columns of the model,
one direction, the primary key last, as ``core.filters.SortFilter`` orders), the sort keys of
every ``ANCHOR_STRIDE``-th row are read once per generation (by the ordering's index alone, as
deep as pages are asked) and a page starts from the nearest one before it: ``(created_at, id)
<= (the anchor's)`` with an OFFSET under ``ANCHOR_STRIDE``. Within a generation the rows are the
same, so the page is the one OFFSET would give. A write that changed the listed rows without a
new generation would make these pages as stale as the cached total and the cached pages.
"""

import functools
import hashlib
import math
import re
import time

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db import connections
from django.db.models import QuerySet
from django.db.models.sql.where import AND, ExtraWhere
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


class _Kept:
    """What this process has read, by cache key, for a minute: the key names the generation,
    which changes with every write to what is counted (and, for the SIM read cache, never names
    a generation again once Redis has lost it), so what is kept here is as exact as the cache's.
    At most ``room`` in all (each value's ``size``), then emptied."""

    def __init__(self, room: int, size=lambda value: 1):
        self.room, self.size = room, size
        self.entries: dict[str, tuple[float, object]] = {}
        self.used = 0

    def get(self, key: str):
        """The value kept here, else the cache's (then kept here too); None without one."""
        kept = self.entries.get(key)
        if kept is not None and kept[0] > time.monotonic():
            return kept[1]
        value = cache_get(key)
        if value is not None:
            self._keep(key, value)
        return value

    def put(self, key: str, value) -> None:
        cache_set(key, value, timeout=COUNT_TTL)
        self._keep(key, value)

    def remembered(self, key: str, compute):
        """``compute()`` once per generation: from here, else the cache, else computed and
        stored there."""
        value = self.get(key)
        if value is None:
            value = compute()
            self.put(key, value)
        return value

    def _keep(self, key: str, value) -> None:
        size = self.size(value)
        if self.used + size > self.room:
            self.entries.clear()
            self.used = 0
        self.entries[key] = (time.monotonic() + KNOWN_SECONDS, value)
        self.used += size


KNOWN_SECONDS = 60
_known_counts = _Kept(room=10_000)
# Every ANCHOR_STRIDE-th row's sort keys, per generation and query, as ``(anchors, complete)``:
# a page deeper than the first stride starts from one of them. They are read as deep as pages
# are asked (at least ANCHOR_BAND of them, and twice as deep as the page asked), so no page
# costs more than the OFFSET it replaces even when the generation changes often (a sync
# running). At most 50,000 of them kept in this process.
ANCHOR_STRIDE = 100
ANCHOR_BAND = 64
_known_anchors = _Kept(room=50_000, size=lambda value: len(value[0]))


def _generation_key(queryset, view) -> str | None:
    """``{generation}:{digest of the query}`` when ``view`` has a ``count_generation()``."""
    generation = getattr(view, "count_generation", None)
    generation = generation() if generation is not None else None
    if generation is None or not isinstance(queryset, QuerySet):
        return None
    sql, params = queryset.query.sql_with_params()
    return f"{generation}:{hashlib.sha256(repr((sql, params)).encode()).hexdigest()[:32]}"


def count_of(queryset, view=None, key: str | None = None) -> int:
    """``queryset.count()``, from the cache when ``view`` has a ``count_generation()`` (``key``,
    its :func:`_generation_key`, when the caller has it)."""
    key = key or _generation_key(queryset, view)
    if key is None:
        return queryset.count()
    return _known_counts.remembered(f"counts:{key}", queryset.count)


class _FromAnchor(ExtraWhere):
    """WHERE the row's sort keys are at or after an anchor's in the ordering: ``(created_at,
    id) <= (%s, %s)`` descending, ``>=`` ascending (a row-value comparison, which an index on
    those columns answers as a range). Its columns are those of ``alias``, relabelled with it
    should the query become a subquery."""

    def __init__(self, alias: str, columns: list[str], params, descending: bool):
        super().__init__([], params)
        self.alias, self.columns, self.descending = alias, columns, descending

    def as_sql(self, compiler=None, connection=None):
        table = compiler.quote_name_unless_alias(self.alias)
        columns = ", ".join(f"{table}.{connection.ops.quote_name(c)}" for c in self.columns)
        marks = ", ".join(["%s"] * len(self.columns))
        return f"({columns}) {'<=' if self.descending else '>='} ({marks})", list(self.params)

    def relabeled_clone(self, change_map):
        alias = change_map.get(self.alias, self.alias)
        return type(self)(alias, self.columns, self.params, self.descending)


def _anchor_fields(queryset) -> tuple[tuple, bool] | None:
    """``(fields, descending)`` of the queryset's ordering when a page can start from a row's
    sort keys: plain non-null columns of the model, all in one direction, the primary key last
    (so no two rows tie); else None."""
    query = queryset.query
    ordering = query.order_by
    if (
        not ordering
        or query.is_sliced
        or query.distinct
        or query.combinator
        or query.extra_order_by
        or not query.standard_ordering
        or not all(isinstance(name, str) for name in ordering)
    ):
        return None
    return _ordering_fields(queryset.model, tuple(ordering))


@functools.lru_cache(maxsize=1024)
def _ordering_fields(model, ordering: tuple[str, ...]) -> tuple[tuple, bool] | None:
    """:func:`_anchor_fields` for a model's ordering by names, worked out once per ordering."""
    directions = {name.startswith("-") for name in ordering}
    if len(directions) != 1:
        return None
    meta = model._meta
    fields = []
    for name in (name.removeprefix("-") for name in ordering):
        try:
            field = meta.pk if name == "pk" else meta.get_field(name)
        except FieldDoesNotExist:
            return None
        # A relation by its name sorts by the related model's ordering, not by its column.
        if not field.concrete or field.null or (field.is_relation and name != field.attname):
            return None
        fields.append(field)
    if not fields[-1].primary_key:
        return None
    return tuple(fields), directions.pop()


def _anchors(queryset, fields, descending, count: int) -> list[tuple]:
    """The sort keys of rows 0, ANCHOR_STRIDE, 2 * ANCHOR_STRIDE, ... of the ordering: the first
    ``count`` of them, fewer at its end. PostgreSQL stops numbering the rows past the last one
    (a run condition on ``ROW_NUMBER()``), so this reads no deeper than that row."""
    keys = queryset.order_by().values_list(*(field.attname for field in fields))
    sql, params = keys.query.sql_with_params()
    connection = connections[queryset.db]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    order = ", ".join(
        connection.ops.quote_name(field.column) + (" DESC" if descending else "")
        for field in fields
    )
    # Identifiers are the model's own columns, quoted; values are parameters.
    numbered = (
        f"SELECT {columns}, ROW_NUMBER() OVER (ORDER BY {order}) AS n"  # noqa: S608
        f" FROM ({sql}) AS k"
    )
    every = (
        f"SELECT {columns} FROM ({numbered}) AS t"  # noqa: S608
        f" WHERE n <= %s AND n %% {ANCHOR_STRIDE} = 1 ORDER BY n"
    )
    with connection.cursor() as cursor:
        cursor.execute(every, (*params, (count - 1) * ANCHOR_STRIDE + 1))
        return [tuple(row) for row in cursor.fetchall()]


def _anchored_page(queryset, start: int, size: int, key: str):
    """The page at ``start`` from its nearest anchor, or None when the ordering has none."""
    found = _anchor_fields(queryset)
    if found is None:
        return None
    fields, descending = found
    name = f"page-anchors:{ANCHOR_STRIDE}:{key}"
    index, skip = divmod(start, ANCHOR_STRIDE)
    known = _known_anchors.get(name)
    if known is None or (index >= len(known[0]) and not known[1]):
        wanted = max(ANCHOR_BAND, 2 * (index + 1), len(known[0]) if known else 0)
        anchors = _anchors(queryset, fields, descending, wanted)
        known = (anchors, len(anchors) < wanted)
        _known_anchors.put(name, known)
    anchors, _ = known
    if index >= len(anchors):  # all of them read: the page is past the end
        return queryset.none()
    # The condition written directly: ``filter()`` would resolve each name through the model's
    # fields again, and compile an expression for it, on every page.
    page = queryset._chain()
    query = page.query
    connection = connections[page.db]
    values = [
        field.get_db_prep_value(value, connection)
        for value, field in zip(anchors[index], fields, strict=True)
    ]
    alias = query.get_initial_alias()
    columns = [field.column for field in fields]
    query.where.add(_FromAnchor(alias, columns, values, descending), AND)
    query.set_limits(skip, skip + size)
    return page


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

        key = _generation_key(queryset, view)
        self.total = count_of(queryset, key=key) if total is None else total
        self.start, self.size, self.page = start, size, page
        page_items = None
        if key is not None and start >= ANCHOR_STRIDE:
            page_items = _anchored_page(queryset, start, size, key)
        if page_items is None:
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
