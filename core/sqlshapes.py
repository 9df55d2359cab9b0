"""SELECTs compiled once per shape: Django compiles every query from scratch, each request.

Turning a queryset into SQL (``SQLCompiler.as_sql``) walks the select list, the joins, the
ordering and the filters every time, though a view asks the same query each request with other
values: the SIM page of another organization, another ICCID, another page. Here a plain SELECT
(no aggregates, annotations, ``extra``, DISTINCT, combinators, locks or subquery use) is
compiled by Django once per *shape* and reused: the shape is everything outside the WHERE
clause that reaches the SQL (model, columns, joins, ordering, whether sliced) together with the
WHERE clause's own SQL text, which is compiled for every query, so only the values differ.
The SQL is then the one Django wrote for that shape, the parameters the WHERE clause's for this
query (plus those outside it, part of the shape), and LIMIT/OFFSET is added as Django adds it.
A query Django would compile differently is never served from another's: anything the key does
not describe makes the query ineligible and Django compiles it as always.

Installed by ``core.apps`` (``install()``).
"""

import threading

from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db.models.expressions import Col
from django.db.models.sql import compiler as sql_compiler

MAX_SHAPES = 2000

_shapes: dict = {}
_lock = threading.Lock()
_INELIGIBLE = object()
_original_as_sql = sql_compiler.SQLCompiler.as_sql


class _Shape:
    __slots__ = ("after", "annotation_col_map", "col_count", "klass_info", "select", "sql")

    def __init__(self, sql, after, compiler):
        self.sql = sql
        self.after = after
        self.select = compiler.select
        self.klass_info = compiler.klass_info
        self.annotation_col_map = compiler.annotation_col_map
        self.col_count = compiler.col_count


def _frozen(value):
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    if isinstance(value, set | frozenset):
        return frozenset(value)
    if isinstance(value, list):
        return tuple(value)
    return value


def _selected(expression):
    """A select list entry as part of the key: a plain column by its alias and its model field
    (which lives as long as its model, which the key keeps, so its id names it; hashing the
    column itself computes its ``identity`` in Python) and any other output field; anything
    else as itself."""
    if type(expression) is Col:
        output_field = expression.output_field
        target = expression.target
        return (expression.alias, id(target), None if output_field is target else output_field)
    return expression


def _structure(compiler, with_limits, with_col_aliases):
    """What, besides the WHERE clause's SQL, makes the query's SQL; None when the query is not a
    plain SELECT this module knows all of."""
    query = compiler.query
    if (
        type(compiler).as_sql is not _shaped_as_sql
        or type(compiler).__name__ != "SQLCompiler"
        or query.combinator
        or query.distinct
        or query.group_by is not None
        or query.annotations
        or query.extra
        or query.extra_tables
        or query.extra_order_by
        or query.select_for_update
        or query.subquery
        or query.explain_info
        or query._filtered_relations
        or query.where.contains_aggregate
        or query.where.contains_over_clause
    ):
        return None
    tables = tuple(
        (
            alias,
            table.identity,
            getattr(table, "join_type", None),
            getattr(table, "nullable", None),
            query.alias_refcount.get(alias),
        )
        for alias, table in query.alias_map.items()
    )
    selected = query.selected
    return (
        query.model,
        compiler.using,
        with_limits and query.is_sliced,
        with_col_aliases,
        query.alias_prefix,
        tables,
        query.default_cols,
        tuple(map(_selected, query.select)),
        query.values_select,
        None if selected is None else tuple(selected.items()),
        _frozen(query.annotation_select_mask),
        _frozen(query.extra_select_mask),
        tuple(query.order_by),
        query.default_ordering,
        query.standard_ordering,
        _frozen(query.select_related),
        query.max_depth,
        (frozenset(query.deferred_loading[0]), query.deferred_loading[1]),
    )


def _where_sql(compiler):
    try:
        sql, params = compiler.compile(compiler.query.where)
    except FullResultSet:
        return "", []
    return sql, params


def _shaped_as_sql(self, with_limits=True, with_col_aliases=False):
    structure = _structure(self, with_limits, with_col_aliases)
    if structure is None:
        return _original_as_sql(self, with_limits, with_col_aliases)
    try:
        where, where_params = _where_sql(self)
        key = (structure, where)
        shape = _shapes.get(key)  # hashes the key once: a TypeError if it cannot be
    except (EmptyResultSet, TypeError):
        return _original_as_sql(self, with_limits, with_col_aliases)
    if shape is None:
        return _learn(self, key, where, where_params, with_limits, with_col_aliases)
    if shape is _INELIGIBLE:
        return _original_as_sql(self, with_limits, with_col_aliases)
    self.select = shape.select
    self.klass_info = shape.klass_info
    self.annotation_col_map = shape.annotation_col_map
    self.col_count = shape.col_count
    self.has_extra_select = False
    self.where, self.having, self.qualify = self.query.where, None, None
    sql = shape.sql
    if structure[2]:  # sliced: LIMIT/OFFSET as Django appends it
        query = self.query
        sql = f"{sql} {self.connection.ops.limit_offset_sql(query.low_mark, query.high_mark)}"
    return sql, (*where_params, *shape.after)


def _learn(compiler, key, where, where_params, with_limits, with_col_aliases):
    """Compile through Django and keep the result as the shape's, when it reads as expected:
    the WHERE clause as compiled above, no parameter before it, LIMIT/OFFSET last."""
    sql, params = _original_as_sql(compiler, with_limits, with_col_aliases)
    shape = _INELIGIBLE
    body = sql
    query = compiler.query
    if key[0][2]:
        limit = " " + compiler.connection.ops.limit_offset_sql(query.low_mark, query.high_mark)
        body = sql[: -len(limit)] if sql.endswith(limit) else None
    segment = f" WHERE {where}" if where else None
    count = len(where_params)
    if (
        body is not None
        and not compiler.has_extra_select
        and (segment is None or body.count(segment) == 1)
        and "%s" not in (body.partition(segment)[0] if segment else body.partition(" FROM ")[0])
        and tuple(params[:count]) == tuple(where_params)
    ):
        shape = _Shape(body, tuple(params[count:]), compiler)
    with _lock:
        if len(_shapes) >= MAX_SHAPES:
            _shapes.clear()
        _shapes[key] = shape
    return sql, params


def install() -> None:
    sql_compiler.SQLCompiler.as_sql = _shaped_as_sql


def forget() -> None:
    """Drop every learnt shape (tests)."""
    with _lock:
        _shapes.clear()
