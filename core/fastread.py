"""The read fast path every model serializer of the product takes (``core.serializers``).

DRF turns an object into a dict field by field through ``get_attribute`` and each field's
``to_representation``, and a ``ModelSerializer`` rebuilds its fields on every instantiation. For
the fields that are plain (a model column, a foreign key's id, a method field, a nested list
of a serializer whose plan reads only columns, over a related manager) this module compiles,
once per serializer class, a :class:`ReadPlan`: the column each field reads and the conversion
DRF would apply, the same conversion on the same value, so the answers stay the same to the
byte. A serializer with any other field (other nested serializers, hyperlinks,
context-dependent fields) gets no plan and DRF's own path.

Lists go further: a page that is still an unevaluated queryset (``core.pagination``) is fetched
as ``values()`` rows, no model instance built, when every field is a column (method fields,
and fields over a model property, only when the serializer lists them in ``Meta.row_methods``:
they read nothing but the object's own columns and the related ones ``Meta.row_columns``
names, ``sla_result__status``). On PostgreSQL, with the answer in UTC, a page is read as text:
each timestamp as PostgreSQL writes it, rewritten inline as DRF writes it, each JSON column
parsed by the C scanner ``json.loads`` uses, Django's converters skipped. No datetime is built
only to be written out again. (PostgreSQL's own ``to_char`` would do the rewriting, but it runs
for every row an OFFSET skips: deep pages took 160 ms.) A row method reads the row as the
object (``_Row``), its text columns decoded back when read.
"""

import datetime as dt
import json
import threading
from operator import attrgetter

from django.conf import settings
from django.core.exceptions import EmptyResultSet, FieldDoesNotExist
from django.db import connections, models
from django.db.models.lookups import Exact
from django.db.models.query import ValuesListIterable
from django.db.models.sql.where import AND
from django.utils import timezone
from django.utils.functional import cached_property
from rest_framework import fields as drf_fields
from rest_framework import relations, serializers
from rest_framework.settings import api_settings

try:
    from django.db.backends.postgresql.psycopg_any import is_psycopg3
    from psycopg.types.string import TextLoader
except ImportError:  # no psycopg 3: no per-cursor loaders, no text rows
    TextLoader, is_psycopg3 = None, False

ISO_8601 = "iso-8601"

# Step kinds (_ISO_TEXT: a timestamp read as PostgreSQL's text, for rows read as text;
# _PROPERTY: a model property, computed over the object or the row, ``_Row``; _NESTED: a
# nested list of a planned serializer over a related manager, objects only).
_COLUMN, _DATETIME, _METHOD, _ATTRIBUTE, _ISO_TEXT, _PROPERTY, _NESTED = range(7)
# Steps that read the object as a whole: a row is read with all its columns, as ``_Row``.
_VIEWS = (_METHOD, _PROPERTY)


# What json.loads runs on a document once it has checked its type and leading whitespace
# (PostgreSQL's jsonb text has none): the same C scanner, the same values.
_scan_json = json.JSONDecoder().scan_once


def _load_json(text):
    return _scan_json(text, 0)[0]


def _iso_text(text: str) -> str:
    """PostgreSQL's text of a ``timestamptz`` in UTC (``2026-01-02 03:04:05.5+00``) as DRF's ISO
    8601 ``DateTimeField`` writes it (``2026-01-02T03:04:05.500000Z``). The row functions do the
    usual cases inline (``_ISO_INLINE``); this one checks and does any other."""
    if len(text) < 22 or text[10] != " " or text[-3:] != "+00":  # BC, infinity, another zone
        raise ValueError(f"not a UTC timestamp PostgreSQL wrote: {text!r}")
    fraction = text[19:-3]
    return f"{text[:10]}T{text[11:19]}{fraction + '0' * (7 - len(fraction)) if fraction else ''}Z"


# The usual texts, ``YYYY-MM-DD HH:MM:SS[.f[fffff]]+00`` (PostgreSQL drops a fraction's trailing
# zeros), by length: the zeros DRF's six digits of microseconds add.
_FRACTION_PAD = {22: "", 24: "00000", 25: "0000", 26: "000", 27: "00", 28: "0", 29: ""}
_ISO_INLINE = (
    "(x[:10] + 'T' + x[11:-3] + p + 'Z' if (p := _pad(len(x))) is not None"
    " and x[-3:] == '+00' and x[10] == ' ' else _iso_text(x))"
)


def _datetime_of_text(text: str) -> dt.datetime:
    """The datetime Django would have read, for a row method."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


class _Layout:
    """What the rows of one plan hold, worked out once: the model, each column's decoder (a row
    read as text) and, per relation, the columns read through it (``sim__iccid`` is the
    ``iccid`` of ``sim``) with that relation's own layout."""

    __slots__ = ("decoders", "key", "model", "related")

    def __init__(self, model, columns, decoders=None):
        self.model = model
        self.key = model._meta.pk.attname
        self.decoders = decoders or {}
        through = {}
        for column in columns:
            name, sep, rest = column.partition("__")
            if sep:
                through.setdefault(name, []).append((column, rest))
        self.related = {}
        for name, pairs in through.items():
            decoders = {rest: self.decoders[c] for c, rest in pairs if c in self.decoders}
            related_model = model._meta.get_field(name).related_model
            layout = _Layout(related_model, [rest for _, rest in pairs], decoders)
            self.related[name] = (pairs, layout)


class _Row:
    """A ``values()`` row read as the object it stands for (for ``Meta.row_methods``): its
    columns as attributes, ``fk__column`` ones as the related object's (``row.sim.iccid``), and
    the model's properties computed over the row (``row.is_final``; ``row.pk``, its key). A
    related object the row has none of (a null foreign key, a missing reverse one-to-one: the
    LEFT JOIN's nulls) reads as None when its key is among the columns (``fk__id``). Not a dict
    subclass, so no column is shadowed by a dict method (``items``, ``values``). A row read as
    text decodes the columns its layout names when they are read (a timestamp back to its
    datetime)."""

    __slots__ = ("__dict__", "_columns", "_layout")

    def __init__(self, columns: dict, layout: _Layout):
        self._columns = columns
        self._layout = layout

    def __getattr__(self, name):
        """The attribute worked out once, then kept on the row (the row never changes): a
        method that reads a column or a related row again finds it at once."""
        value = self._read(name)
        self.__dict__[name] = value
        return value

    def _read(self, name):
        columns, layout = self._columns, self._layout
        try:
            value = columns[name]
        except KeyError:
            pass
        else:
            decode = layout.decoders.get(name)
            return value if decode is None or value is None else decode(value)
        related = layout.related.get(name)
        if related is not None:
            pairs, related_layout = related
            values = {rest: columns[column] for column, rest in pairs}
            if related_layout.key in values and values[related_layout.key] is None:
                return None
            return _Row(values, related_layout)
        if name == "pk":
            return getattr(self, layout.key)
        attribute = getattr(layout.model, name, None)
        if isinstance(attribute, property):
            return attribute.fget(self)
        raise AttributeError(name)


def _identity(value):
    return value


def _converter(field):
    """The function DRF's ``field.to_representation`` amounts to for a non-None value, or the
    bound method itself; None when the field is not one this module knows to be plain."""
    kind = type(field)
    method = kind.to_representation
    if method is drf_fields.CharField.to_representation:
        return str
    if method is drf_fields.IntegerField.to_representation:
        return int
    if method is drf_fields.FloatField.to_representation:
        return float
    if method is drf_fields.ReadOnlyField.to_representation:
        return _identity
    if method is drf_fields.JSONField.to_representation:
        return field.to_representation if field.binary else _identity
    if method is drf_fields.BooleanField.to_representation:
        slow = field.to_representation
        return lambda value: value if value is True or value is False else slow(value)
    if method is drf_fields.ChoiceField.to_representation:
        choices = field.choice_strings_to_values

        def choice(value):
            return value if value == "" else choices.get(str(value), value)

        choice.choices = choices  # a row function writes it inline (``_generate``)
        return choice
    if method is drf_fields.DateField.to_representation:
        if getattr(field, "format", api_settings.DATE_FORMAT) == ISO_8601:
            slow = field.to_representation
            return lambda value: value.isoformat() if type(value) is dt.date else slow(value)
        return field.to_representation
    if method is drf_fields.DateTimeField.to_representation:
        return field.to_representation
    if isinstance(field, relations.PrimaryKeyRelatedField) and not field.many:
        return _identity if field.pk_field is None else field.pk_field.to_representation
    if kind.__module__ == drf_fields.__name__:  # DRF's own scalar fields: context-free
        return field.to_representation
    return None


# Columns whose values a database row always holds as the type DRF converts them to: the
# conversion (``int(value)``, ``str(value)``) gives the value back as it is, so a row function
# leaves it out. Not for objects, whose attributes may hold anything assigned to them.
_INTEGER_COLUMNS = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "SmallAutoField",
        "IntegerField",
        "BigIntegerField",
        "SmallIntegerField",
        "PositiveIntegerField",
        "PositiveBigIntegerField",
        "PositiveSmallIntegerField",
    }
)
_TEXT_COLUMNS = frozenset({"CharField", "TextField", "SlugField", "EmailField", "URLField"})


def _typed_by_the_row(model, attname, convert) -> bool:
    """Whether ``convert`` of ``attname``'s value, read from a row, is the value itself."""
    if convert is not int and convert is not str:
        return False
    *path, name = attname.split("__")
    for step in path:
        model = model._meta.get_field(step).related_model
    field = next((f for f in model._meta.concrete_fields if f.attname == name), None)
    if field is None or hasattr(field, "from_db_value"):  # a converter of its own
        return False
    if field.is_relation:
        field = field.target_field
    kind = field.get_internal_type()
    return kind in (_INTEGER_COLUMNS if convert is int else _TEXT_COLUMNS)


def _fast_datetime(field) -> bool:
    return (
        type(field).to_representation is drf_fields.DateTimeField.to_representation
        and getattr(field, "format", api_settings.DATETIME_FORMAT) == ISO_8601
        and not hasattr(field, "timezone")
    )


class ReadPlan:
    """How one serializer class turns an object, or a ``values()`` row, into its answer."""

    def __init__(self, model, steps, columns, row_ready, text_kinds=None):
        self.model = model
        self.steps = steps  # (name, attname or field, converter, kind, slow)
        self.columns = columns  # what a values() row needs
        self.row_ready = row_ready
        self.has_methods = any(step[3] in _VIEWS for step in steps)
        # The steps as one generated function each for objects and for values_list() rows
        # (no per-field loop, no dict per row); a plan with an attribute step keeps the loop.
        self.object_function = self.row_function = self.text_function = None
        self.row_layout = _Layout(model, columns) if row_ready else None
        self.text_layout = None
        if not any(step[3] == _ATTRIBUTE for step in steps):
            self.object_function = _generate(
                steps, lambda attname: "o." + attname.replace("__", ".")
            )
            if row_ready:
                index = {column: i for i, column in enumerate(columns)}
                self.row_steps = [
                    (name, source, _identity, kind, slow)
                    if kind == _COLUMN and _typed_by_the_row(model, source, convert)
                    else (name, source, convert, kind, slow)
                    for name, source, convert, kind, slow in steps
                ]
                self.row_function = _generate(
                    self.row_steps, lambda attname: f"o[{index[attname]}]"
                )
                if text_kinds is not None:
                    self._plan_text_rows(text_kinds, index)

    def _plan_text_rows(self, text_kinds, index):
        """The row function for rows read as text (``_text_rows``): a timestamp step rewrites
        PostgreSQL's text as DRF's, a plain JSON one parses its text; a row method reads them
        decoded back (``text_layout``). Only when every timestamp column is one or the
        other: a step that writes a timestamp otherwise needs the datetime."""
        steps = []
        for name, source, convert, kind, slow in self.row_steps:
            text_kind = text_kinds.get(source) if kind not in _VIEWS else None
            if kind == _DATETIME and text_kind == "datetime":
                kind = _ISO_TEXT
            elif kind == _DATETIME or text_kind == "datetime":
                return
            elif text_kind == "json":
                convert = (
                    _load_json
                    if convert is _identity
                    else lambda text, convert=convert: convert(_load_json(text))
                )
            steps.append((name, source, convert, kind, slow))
        decoders = {
            column: _datetime_of_text if text_kind == "datetime" else _load_json
            for column, text_kind in text_kinds.items()
        }
        self.text_layout = _Layout(self.model, self.columns, decoders)
        self.text_function = _generate(steps, lambda attname: f"o[{index[attname]}]")

    def represent(self, serializer, obj, tz, get=getattr, view=None) -> dict:
        """``obj``'s answer; for a ``values()`` row ``get`` is ``dict.__getitem__`` and
        ``view`` the row as attributes, for the method fields."""
        if get is getattr and self.object_function is not None:
            return self.object_function(obj, tz, _is_utc(tz), serializer, obj)
        answer = {}
        for name, source, convert, kind, slow in self.steps:
            if kind == _METHOD:
                answer[name] = getattr(serializer, source)(obj if view is None else view)
                continue
            if kind == _PROPERTY:
                value = getattr(obj if view is None else view, source)
                answer[name] = None if value is None else convert(value)
                continue
            if kind == _NESTED:
                answer[name] = convert(getattr(obj, source))
                continue
            if kind == _ATTRIBUTE:
                try:
                    value = source.get_attribute(obj)
                except serializers.SkipField:
                    continue
            elif get is getattr and "__" in source:
                value = attrgetter(source.replace("__", "."))(obj)
            else:
                value = get(obj, source)
            if value is None:
                answer[name] = None
            elif kind == _DATETIME:
                answer[name] = _iso_datetime(value, tz, False, slow)
            else:
                answer[name] = convert(value)
        return answer

    @cached_property
    def _select(self):
        """``(builders, joined)``: per column of the table's own, how to build its select
        expression for a table alias (Django's ``add_fields`` resolves every name through
        ``setup_joins``, each request), and the columns through a join after them, which Django
        sets up; None when a joined column comes before one of the table's own."""
        fields = {field.attname: field for field in self.model._meta.concrete_fields}
        own = [column for column in self.columns if column in fields]
        joined = self.columns[len(own) :]
        if tuple(own) != self.columns[: len(own)] or any("__" not in c for c in joined):
            return None
        return [fields[column].get_col for column in own], joined

    def _values_rows(self, queryset):
        """``queryset.values_list(*self.columns)``, the select list of the table's own columns
        built directly (the same query: ``core.tests.test_fastread``)."""
        query, select = queryset.query, self._select
        if select is None or query.extra or query.annotations or query.group_by is not None:
            return queryset.values_list(*self.columns)
        builders, joined = select
        rows = queryset._chain()
        rows._fields = self.columns
        rows._iterable_class = ValuesListIterable
        query = rows.query
        query.select_related = False
        query.clear_deferred_loading()
        query.clear_select_fields()
        alias = query.get_initial_alias() if query.alias_cols else None
        selected = [build(alias) for build in builders]
        if joined:
            query.add_fields(joined, True)  # the joins, as values_list sets them up
            selected.extend(query.select)
        query.values_select = self.columns
        query.set_select(selected)
        query.selected = {name: i for i, name in enumerate(self.columns)}
        return rows

    def _text_rows(self, queryset) -> list[tuple]:
        """The page's rows with timestamps and JSON as PostgreSQL's text (psycopg's C text
        loader), Django's converters skipped (the plan has a text path only when the JSON
        columns are the only ones with a converter)."""
        rows = self._values_rows(queryset)
        compiler = rows.query.get_compiler(rows.db)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:
            return []
        with compiler.connection.cursor() as cursor:
            cursor.cursor.adapters.register_loader("timestamptz", TextLoader)
            cursor.execute(sql, params)
            return cursor.cursor.fetchall()

    def represent_rows(self, serializer, queryset) -> list[dict]:
        tz, layout = _current_timezone(), self.row_layout
        if self.text_function is not None and _is_utc(tz) and _reads_text(queryset.db):
            function, rows = self.text_function, self._text_rows(queryset)
            if self.has_methods:
                columns, layout = self.columns, self.text_layout
                return [
                    function(
                        row,
                        tz,
                        True,
                        serializer,
                        _Row(dict(zip(columns, row, strict=True)), layout),
                    )
                    for row in rows
                ]
            return [function(row, tz, True, serializer, None) for row in rows]
        if self.row_function is None:
            represent, get = self.represent, dict.__getitem__
            return [
                represent(serializer, row, tz, get, _Row(row, layout) if self.has_methods else None)
                for row in queryset.values(*self.columns)
            ]
        function, utc, columns = self.row_function, _is_utc(tz), self.columns
        rows = self._values_rows(queryset)
        if self.has_methods:
            return [
                function(
                    row, tz, utc, serializer, _Row(dict(zip(columns, row, strict=True)), layout)
                )
                for row in rows
            ]
        return [function(row, tz, utc, serializer, None) for row in rows]


def _iso_datetime(value, tz, utc, slow):
    """What DRF's ISO 8601 ``DateTimeField`` answers for ``value`` (not None) in ``tz``."""
    if not value:
        return None
    if utc and value.tzinfo is dt.UTC:  # already in UTC: astimezone would change nothing
        return value.isoformat()[:-6] + "Z"
    if tz is not None and value.utcoffset() is not None:
        text = value.astimezone(tz).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    return slow(value)


def _reads_text(alias) -> bool:
    """Whether rows of ``alias`` can be read as text: PostgreSQL on psycopg 3, in UTC."""
    connection = connections[alias]
    return is_psycopg3 and connection.vendor == "postgresql" and connection.timezone_name == "UTC"


def _is_utc(tz) -> bool:
    return tz is dt.UTC or getattr(tz, "key", None) in ("UTC", "Etc/UTC")


def _generate(steps, read):
    """One function ``(o, tz, utc, s, v) -> dict`` doing ``steps`` in order: ``o`` the object
    or row (``read(attname)`` the expression of a column), ``s`` the serializer, ``v`` what
    its methods get."""
    namespace = {"_iso": _iso_datetime, "_iso_text": _iso_text, "_pad": _FRACTION_PAD.get}
    items = []
    for i, (name, source, convert, kind, slow) in enumerate(steps):
        if kind == _METHOD:
            namespace[f"m{i}"] = source
            items.append(f"{name!r}: getattr(s, m{i})(v)")
        elif kind == _PROPERTY:
            namespace[f"c{i}"] = convert
            items.append(f"{name!r}: None if (x := v.{source}) is None else c{i}(x)")
        elif kind == _NESTED:
            namespace[f"c{i}"] = convert
            items.append(f"{name!r}: c{i}(o.{source})")
        elif kind == _DATETIME:
            namespace[f"d{i}"] = slow
            items.append(
                f"{name!r}: None if (x := {read(source)}) is None else _iso(x, tz, utc, d{i})"
            )
        elif kind == _ISO_TEXT:
            items.append(f"{name!r}: None if (x := {read(source)}) is None else {_ISO_INLINE}")
        elif convert is _identity:
            items.append(f"{name!r}: {read(source)}")
        elif hasattr(convert, "choices"):  # a choice field's conversion, inline for a text
            namespace[f"c{i}"], namespace[f"g{i}"] = convert, convert.choices.get
            items.append(
                f"{name!r}: None if (x := {read(source)}) is None else"
                f" ((x if x == '' else g{i}(x, x)) if type(x) is str else c{i}(x))"
            )
        else:
            namespace[f"c{i}"] = convert
            items.append(f"{name!r}: None if (x := {read(source)}) is None else c{i}(x)")
    body = ",\n        ".join(items)
    code = f"def represent(o, tz, utc, s, v):\n    return {{\n        {body}\n    }}\n"
    exec(compile(code, "<core.fastread plan>", "exec"), namespace)  # noqa: S102
    return namespace["represent"]


def _current_timezone():
    """What DRF's ``DateTimeField.default_timezone`` answers (looked up once per answer)."""
    return timezone.get_current_timezone() if settings.USE_TZ else None


_plans: dict = {}
_plans_lock = threading.Lock()
_NO_PLAN = object()


def plan_for(serializer_class) -> ReadPlan | None:
    """The class's plan, compiled on first use; None when DRF's own path must answer."""
    plan = _plans.get(serializer_class)
    if plan is None:
        plan = _compile(serializer_class) or _NO_PLAN
        with _plans_lock:
            _plans[serializer_class] = plan
    return None if plan is _NO_PLAN else plan


def _compile(serializer_class) -> ReadPlan | None:
    from core.serializers import FleetModelSerializer

    # Fields that could depend on the instance or its context are DRF's to build.
    for hook in ("__init__", "get_fields", "to_representation", "get_field_names"):
        if getattr(serializer_class, hook) is not getattr(FleetModelSerializer, hook):
            return None
    meta = getattr(serializer_class, "Meta", None)
    model = getattr(meta, "model", None)
    if model is None:
        return None
    concrete = {}
    for model_field in model._meta.concrete_fields:
        concrete[model_field.attname] = model_field.attname
        concrete[model_field.name] = model_field.attname
    row_methods = set(getattr(meta, "row_methods", ()))
    prototype = serializer_class()
    steps, columns, row_ready = [], [], True
    for field in prototype._readable_fields:
        name = field.field_name
        if isinstance(field, serializers.SerializerMethodField):
            steps.append((name, field.method_name, None, _METHOD, None))
            row_ready = row_ready and name in row_methods
            continue
        if _plain_nested_list(field, model):
            steps.append((name, field.source_attrs[0], field.to_representation, _NESTED, None))
            row_ready = False
            continue
        if isinstance(field, serializers.BaseSerializer | relations.ManyRelatedField):
            return None
        convert = _converter(field)
        if convert is None or not field.source_attrs:
            return None
        attname = (
            concrete.get(field.source_attrs[0])
            if len(field.source_attrs) == 1
            else _related_column(model, field.source_attrs)
        )
        if isinstance(field, relations.RelatedField) and (
            attname is None or field.source_attrs[0] == attname
        ):
            return None  # a related field over a plain column or a property
        if (
            attname is None
            and name in row_methods
            and len(field.source_attrs) == 1
            and isinstance(getattr(model, field.source_attrs[0], None), property)
        ):  # a property over the row's columns
            steps.append((name, field.source_attrs[0], convert, _PROPERTY, None))
            continue
        if attname is None:  # a property, or a dotted source: DRF's get_attribute
            steps.append((name, field, convert, _ATTRIBUTE, None))
            row_ready = False
            continue
        kind = _DATETIME if _fast_datetime(field) else _COLUMN
        steps.append((name, attname, convert, kind, field.to_representation))
        columns.append(attname)
    if row_ready and any(step[3] in _VIEWS for step in steps):
        # the methods read the row's own columns and those of related rows they name
        # (``Meta.row_columns``); related ones the plan reads stay
        columns = [
            *(f.attname for f in model._meta.concrete_fields),
            *(column for column in columns if "__" in column),
            *getattr(meta, "row_columns", ()),
        ]
    columns = tuple(dict.fromkeys(columns))
    return ReadPlan(model, steps, columns, row_ready, _text_kinds(model, columns))


def _plain_nested_list(field, model) -> bool:
    """Whether ``field`` is a nested ``many=True`` model serializer over one of the model's
    related managers (``timeline``) whose own plan reads only columns: DRF hands it the
    manager and it answers its items (``represent_many``), needing no context of its parent's.
    """
    from core.serializers import FleetListSerializer

    if type(field) is not FleetListSerializer or len(field.source_attrs) != 1:
        return False
    try:
        relation = model._meta.get_field(field.source_attrs[0])
    except FieldDoesNotExist:
        return False
    if not (relation.one_to_many or relation.many_to_many):
        return False
    child = plan_for(type(field.child))
    return child is not None and all(step[3] in (_COLUMN, _DATETIME) for step in child.steps)


def _text_kinds(model, columns) -> dict | None:
    """``{column: "datetime" | "json"}`` for the columns a text row carries as text; None when
    a column needs a converter of Django's that a text row would skip (a JSON column with a
    decoder of its own, a field with ``from_db_value``)."""
    kinds = {}
    for column in columns:
        *path, name = column.split("__")
        owner = model
        for step in path:
            owner = owner._meta.get_field(step).related_model
        field = next(f for f in owner._meta.concrete_fields if f.attname == name)
        if isinstance(field, models.JSONField):
            if type(field).from_db_value is not models.JSONField.from_db_value or field.decoder:
                return None
            kinds[column] = "json"
        elif hasattr(field, "from_db_value"):
            return None
        elif field.get_internal_type() == "DateTimeField":
            kinds[column] = "datetime"
    return kinds


def _related_column(model, names) -> str | None:
    """``fk__column`` for a dotted source through foreign keys that cannot be null (so DRF's
    ``get_attribute`` never meets a None on the way) to a concrete column; else None."""
    path = []
    for name in names[:-1]:
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            return None
        if not (field.many_to_one or field.one_to_one) or not field.concrete or field.null:
            return None
        path.append(name)
        model = field.related_model
    try:
        last = model._meta.get_field(names[-1])
    except FieldDoesNotExist:
        return None
    if not last.concrete or last.is_relation:
        return None
    return "__".join([*path, last.attname])


def rows_apply(plan: ReadPlan, serializer, data) -> bool:
    """Whether ``data`` can be answered from ``values()`` rows: a queryset of the serializer's
    model nobody has evaluated (nor changed objects of), no prefetch, distinct or union."""
    if not plan.row_ready or not isinstance(data, models.QuerySet):
        return False
    query = data.query
    return (
        data._result_cache is None
        and data.model is serializer.Meta.model
        and not data._prefetch_related_lookups
        and data._iterable_class is models.query.ModelIterable
        and not query.distinct
        and not query.combinator
        and not query.extra_select
    )


def represent(serializer, instance):
    """One object's answer through the plan (the caller checked there is one)."""
    return plan_for(type(serializer)).represent(serializer, instance, _current_timezone())


def equal_to(queryset, **lookup):
    """``queryset.filter(**lookup)`` for equalities on the model's own columns (``iccid=...``)
    with plain values: the same condition (``Exact`` on the column, the value prepared by its
    field), added without resolving each name through the model's fields and joins, as
    ``filter()`` does every time. Anything else (a relation, ``__`` paths, None, expressions) is
    ``filter()``'s."""
    meta = queryset.model._meta
    conditions = []
    for name, value in lookup.items():
        try:
            field = meta.pk if name == "pk" else meta.get_field(name)
        except FieldDoesNotExist:
            return queryset.filter(**lookup)
        if (
            not field.concrete
            or field.is_relation
            or type(value) not in (str, int)
            or name not in (field.name, field.attname, "pk")
        ):
            return queryset.filter(**lookup)
        conditions.append((field, value))
    filtered = queryset._chain()
    query = filtered.query
    alias = query.get_initial_alias()
    for field, value in conditions:
        query.where.add(Exact(field.get_col(alias), value), AND)
    return filtered


def represent_one(serializer, queryset):
    """The answer for the one object of ``queryset``, None without one (more than one is
    ``get()``'s ``MultipleObjectsReturned``): read as a row when the plan reads rows as text,
    else as the object."""
    plan = plan_for(type(serializer))
    if (
        plan is None
        or plan.text_function is None
        or not rows_apply(plan, serializer, queryset)
        or not _is_utc(_current_timezone())
        or not _reads_text(queryset.db)
    ):
        try:
            return serializer.to_representation(queryset.get())
        except queryset.model.DoesNotExist:
            return None
    answers = plan.represent_rows(serializer, queryset[:2])
    if len(answers) > 1:
        raise queryset.model.MultipleObjectsReturned(
            f"get() returned more than one {queryset.model._meta.object_name}"
        )
    return answers[0] if answers else None


def represent_many(child, data):
    """A list's answer: ``values()`` rows when they can serve, else the objects."""
    plan = plan_for(type(child))
    if rows_apply(plan, child, data):
        return plan.represent_rows(child, data)
    iterable = data.all() if isinstance(data, models.manager.BaseManager) else data
    tz = _current_timezone()
    return [plan.represent(child, item, tz) for item in iterable]
