import django_filters
from django.db import connection
from django.db.models import Q

from sims.models import EventType, Sim, SimEvent, SimStatus


class SimFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=SimStatus.choices)
    organization_id = django_filters.NumberFilter()
    tags = django_filters.CharFilter(
        method="filter_tags", help_text="Comma-separated; all must match."
    )
    search = django_filters.CharFilter(
        method="filter_search", help_text="ICCID, IMSI, MSISDN or IMEI prefix, or label text."
    )
    missing = django_filters.BooleanFilter(
        field_name="missing_upstream_since", lookup_expr="isnull", exclude=True
    )

    class Meta:
        model = Sim
        fields = ["status", "organization_id", "tags", "search"]

    def filter_tags(self, queryset, name, value):
        tags = [t.strip() for t in value.split(",") if t.strip()]
        if connection.vendor == "postgresql":
            return queryset.filter(tags__contains=tags)
        for tag in tags:  # SQLite (embedded mode) has no JSON containment
            queryset = queryset.filter(tags__icontains=f'"{tag}"')
        return queryset

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        if value.isdigit():
            # Identifiers are searched by prefix: index-friendly, and what people type.
            return queryset.filter(
                Q(iccid__startswith=value)
                | Q(iccid_with_luhn__startswith=value)
                | Q(imsi__startswith=value)
                | Q(msisdn__startswith=value)
                | Q(imei__startswith=value)
            )
        return queryset.filter(label__icontains=value)


class SimEventFilterSet(django_filters.FilterSet):
    event_type = django_filters.MultipleChoiceFilter(choices=EventType.choices)
    start_date = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    end_date = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="lte")

    class Meta:
        model = SimEvent
        fields = ["event_type", "severity", "category", "source"]
