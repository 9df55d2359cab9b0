"""Filter backends shared by every list: ``search`` and seed 001's ``sort_by``/``sort_order``."""

from rest_framework import filters
from rest_framework.exceptions import ValidationError


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
