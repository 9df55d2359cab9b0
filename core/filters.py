"""Filter backends shared by every list: django-filter's with choice errors that list the
allowed values, ``search``, and seed 001's ``sort_by``/``sort_order``."""

import datetime as dt

import django_filters
import django_filters.filterset
from django import forms
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import filters
from rest_framework.exceptions import ValidationError


def allowed_values(field: forms.ChoiceField) -> list[str]:
    """The values a choice form field accepts (its empty choice left out)."""
    values = []
    for value, label in field.choices:
        if isinstance(label, list | tuple):  # an optgroup: (group, [(value, label), ...])
            values.extend(str(v) for v, _ in label if v not in ("", None))
        elif value not in ("", None):
            values.append(str(value))
    return values


class FilterBackend(DjangoFilterBackend):
    """django-filter for every list, its errors as 422 field errors; a choice filter's error
    names the allowed values (``status``, ``event_type``, ... as ``sort_by`` does), so every
    choice filter of every app says what it accepts without writing it again."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None:
            return queryset
        if asks_no_filter(filterset_class, request.query_params):
            return queryset.all()
        filterset = filterset_class(**self.get_filterset_kwargs(request, queryset, view))
        return filtered(filterset)


def asks_no_filter(filterset_class, query_params) -> bool:
    """Whether the request names no parameter any of the filterset's filters reads, for a
    filterset that would then answer its queryset as it is (a valid empty form, every filter
    skipped): a backend skips it, as building its form and copying its filters is most of a
    plain list's filtering cost."""
    names = _unfiltered_without(filterset_class)
    return names is not None and not any(key.startswith(names) for key in query_params)


_BASE_FILTERSET = django_filters.filterset.BaseFilterSet
_FILTERSET_HOOKS = ("__init__", "is_valid", "errors", "form", "qs", "filter_queryset")
_unfiltered_names: dict = {}


def _unfiltered_without(filterset_class) -> tuple[str, ...] | None:
    """The names whose parameters (``name``, or ``name`` and a suffix, as django-filter's
    widgets read them) the filterset reads, when it is one that without any of them answers
    its queryset unchanged: django-filter's own behaviour, no required filter, and filters
    and widgets that skip an empty value (django-filter's, ``UtcIsoDateTimeFilter``). None
    when it is not, or cannot be told: then the filterset always runs."""
    try:
        return _unfiltered_names[filterset_class]
    except KeyError:
        pass
    names = tuple(filterset_class.base_filters)
    plain = all(
        getattr(filterset_class, hook) is getattr(_BASE_FILTERSET, hook)
        for hook in _FILTERSET_HOOKS
    ) and all(_skips_empty(one) for one in filterset_class.base_filters.values())
    _unfiltered_names[filterset_class] = names if plain and names else None
    return _unfiltered_names[filterset_class]


def _skips_empty(one) -> bool:
    kind = type(one)
    if getattr(kind, "skips_empty", False):  # vouched for by the filter (an app's own)
        return not one.extra.get("required")
    own = kind.filter.__module__.startswith("django_filters.") or kind in _EMPTY_SKIPPING
    widget = one.extra.get("widget") or getattr(one.field_class, "widget", None)
    widget_kind = widget if isinstance(widget, type) else type(widget)
    return (
        own
        and not one.extra.get("required")
        and one.field_class.__module__.startswith(("django.forms.", "django_filters."))
        and widget_kind.__module__.startswith(("django.forms.", "django_filters."))
    )


def filtered(filterset):
    """The filterset's queryset, or a 422 whose choice errors list the allowed values. For
    views that apply a filterset themselves (an action's sub-list)."""
    if not filterset.is_valid():
        raise ValidationError(filter_errors(filterset.form))
    return filterset.qs


def filter_errors(form: forms.Form) -> dict[str, list[str]]:
    """A filter form's errors by parameter; a choice parameter's lists the allowed values."""
    errors = {}
    for name, messages in form.errors.items():
        field = form.fields.get(name)
        if isinstance(field, forms.ChoiceField) and any(
            error.code in ("invalid_choice", "invalid_list") for error in form.errors[name].data
        ):
            given = form.data.getlist(name) if hasattr(form.data, "getlist") else []
            known = set(allowed_values(field))
            wrong = [value for value in given if value not in known] or given
            errors[name] = [
                f"Unknown value {', '.join(repr(v) for v in wrong)}; "
                f"use one of: {', '.join(allowed_values(field))}."
            ]
        else:
            errors[name] = list(messages)
    return errors


class SearchFilter(filters.SearchFilter):
    """``?search=`` across the view's ``search_fields`` (identifiers and labels)."""

    search_param = "search"


class SortFilter(filters.BaseFilterBackend):
    """``?sort_by=<field>&sort_order=asc|desc`` over the view's ``sort_fields``.

    ``sort_fields`` maps public names to ORM paths; ``default_sort`` is ``(field, order)``. The
    primary key is always the last key so equal values keep a stable page order.
    """

    sort_param = "sort_by"
    order_param = "sort_order"

    def filter_queryset(self, request, queryset, view):
        fields = getattr(view, "sort_fields", None)
        if not fields:
            return queryset
        default_field, default_order = getattr(view, "default_sort", (next(iter(fields)), "desc"))
        field = request.query_params.get(self.sort_param) or default_field
        order = (request.query_params.get(self.order_param) or default_order).lower()
        if field not in fields:
            raise ValidationError(
                {self.sort_param: [f"Unknown sort field; use one of: {', '.join(fields)}."]}
            )
        if order not in ("asc", "desc"):
            raise ValidationError({self.order_param: ["sort_order must be asc or desc."]})
        prefix = "-" if order == "desc" else ""
        return queryset.order_by(f"{prefix}{fields[field]}", f"{prefix}pk")

    def get_schema_operation_parameters(self, view):
        fields = getattr(view, "sort_fields", None)
        if not fields:
            return []
        return [
            {
                "name": self.sort_param,
                "required": False,
                "in": "query",
                "description": "Field to sort by.",
                "schema": {"type": "string", "enum": list(fields)},
            },
            {
                "name": self.order_param,
                "required": False,
                "in": "query",
                "description": "Sort direction.",
                "schema": {"type": "string", "enum": ["asc", "desc"]},
            },
        ]


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 date-time filter whose value reaches the database in UTC: PostgreSQL
    refuses offsets Python accepts (``-21:56``), which would otherwise be a 500."""

    def filter(self, qs, value):
        if value is not None:
            value = value.astimezone(dt.UTC)
        return super().filter(qs, value)


# Project filters that, like django-filter's own, leave the queryset alone without a value (an
# app's filter says so itself with ``skips_empty = True``: its field cleans an absent value to
# None and its ``filter`` answers the queryset unchanged for None).
_EMPTY_SKIPPING = (UtcIsoDateTimeFilter,)
