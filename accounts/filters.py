import django_filters

from accounts.models import AuditLog, AuditStatus


class AuditLogFilterSet(django_filters.FilterSet):
    """Seed 003's audit filters (``skip``/``limit`` and ``sort_order`` are paging and sorting)."""

    operation = django_filters.CharFilter(lookup_expr="iexact")
    resource_type = django_filters.CharFilter(lookup_expr="iexact")
    resource_id = django_filters.CharFilter()
    status = django_filters.ChoiceFilter(choices=AuditStatus.choices)
    from_date = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    to_date = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lte")
    user_id = django_filters.NumberFilter()

    class Meta:
        model = AuditLog
        fields = ["operation", "resource_type", "resource_id", "status", "from_date", "to_date"]
