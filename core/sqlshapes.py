"""SELECTs compiled once per shape: Django compiles every query from scratch, each request.

Turning a queryset into SQL (``SQLCompiler.as_sql``) walks the select list, the joins, the
ordering and the filters every time, though a view asks the same query each request with other
values: the SIM page of another organization, another ICCID, another page. Here a plain SELECT
(no aggregates, annotations, ``extra``, DISTINCT, combinators, locks or subquery use) is
compiled by Django once per *shape* and reused: the shape is everything outside the WHERE
clause that reaches the SQL (model, columns, joins, ordering, whether sliced) together with the
WHERE clause's own SQL text, which is compiled for every query, so only the values differ.
The SQL is then the one Django wrote for that shape, the parameters the WHERE clause's for this
query (plus those outside it, part of the shape), and LIMIT/OFFSET is added as Django adds it;
a deep page of a one-table shape (``DEFERRED_JOIN_OFFSET``) is read as a deferred join of the
same SQL: the page's keys by the ordering's index, then their rows.
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


# From this offset on, a page of a one-table shape is read as a deferred join: the keys of the
# page by the ordering's index alone (an index-only scan), then the rows of those keys. OFFSET
# reads every row it skips, keys included or not: offset 7,500 of 10,000 SIMs took 10.9 ms, the
# deferred join 1.4 ms. Shallower pages skip too little for it to pay.
DEFERRED_JOIN_OFFSET = 1000


class _Shape:
    __slots__ = (
        "after",
        "annotation_col_map",
        "col_count",
        "deferred",
        "klass_info",
        "select",
        "sql",
    )

    def __init__(self, sql, after, compiler, deferred=None):
        self.sql = sql
        self.after = after
        self.deferred = deferred
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
    return _served(self, shape, structure[2], where_params)


def _served(compiler, shape, sliced, where_params):
    """The shape's SQL for this query's values: LIMIT/OFFSET as Django appends them, or a deep
    page as a deferred join (its WHERE clause twice, so its values twice)."""
    if not sliced:
        return shape.sql, (*where_params, *shape.after)
    query = compiler.query
    limit = compiler.connection.ops.limit_offset_sql(query.low_mark, query.high_mark)
    if (
        shape.deferred is not None
        and query.low_mark >= DEFERRED_JOIN_OFFSET
        and query.high_mark is not None
    ):
        head, tail = shape.deferred
        return f"{head} {limit}{tail}", (*where_params, *where_params)
    return f"{shape.sql} {limit}", (*where_params, *shape.after)


def _deferred_join(compiler, body, where, where_params, after):
    """``(head, tail)``: with a page's LIMIT/OFFSET between them, the page as the rows whose
    keys the same query with only its key selected gives (compiled by Django, its ordering
    included). None unless the shape is one table, ordered and filtered, with no parameter
    outside its WHERE clause, and the keys' query has the same WHERE clause's values."""
    query = compiler.query
    joined = any(
        query.alias_refcount.get(alias) for alias in query.alias_map if alias != query.base_table
    )
    if (
        compiler.connection.vendor not in ("postgresql", "sqlite")  # MySQL: no LIMIT in IN
        or after
        or not where
        or joined
        or " JOIN " in body
        or " ORDER BY " not in body
    ):
        return None
    keys_query = query.chain()
    keys_query.clear_limits()
    keys_query.clear_select_fields()
    keys_query.default_cols = False
    key_column = query.model._meta.pk.get_col(query.base_table)
    keys_query.set_select([key_column])
    keys_compiler = keys_query.get_compiler(using=compiler.using)
    keys_sql, keys_params = _original_as_sql(keys_compiler, True, False)
    key, key_params = compiler.compile(key_column)
    if key_params or tuple(keys_params) != tuple(where_params) or " ORDER BY " not in keys_sql:
        return None
    head, _, rest = body.partition(f" WHERE {where}")
    return f"{head} WHERE ({where}) AND {key} IN ({keys_sql}", f"){rest}"


def _learn(compiler, key, where, where_params, with_limits, with_col_aliases):
    """Compile through Django and keep the result as the shape's, when it reads as expected:
    the WHERE clause as compiled above, no parameter before it, LIMIT/OFFSET last."""
    sql, params = _original_as_sql(compiler, with_limits, with_col_aliases)
    shape = _INELIGIBLE
    body = sql
    query = compiler.query
    sliced = key[0][2]
    if sliced:
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
        after = tuple(params[count:])
        deferred = _deferred_join(compiler, body, where, where_params, after) if sliced else None
        shape = _Shape(body, after, compiler, deferred)
    with _lock:
        if len(_shapes) >= MAX_SHAPES:
            _shapes.clear()
        _shapes[key] = shape
    if shape is not _INELIGIBLE and shape.deferred is not None:
        return _served(compiler, shape, sliced, where_params)
    return sql, params


def install() -> None:
    sql_compiler.SQLCompiler.as_sql = _shaped_as_sql


def forget() -> None:
    """Drop every learnt shape (tests)."""
    with _lock:
        _shapes.clear()
