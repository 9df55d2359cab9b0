import django_filters
from django_filters.rest_framework import DjangoFilterBackend

from core.errors import InvalidInput
from outages.models import Outage, OutageStatus, Severity


class OutageFilterSet(django_filters.FilterSet):
    """Seed 004's outage filters: status, severity, detection date range, site."""

    status = django_filters.ChoiceFilter(choices=OutageStatus.choices)
    severity = django_filters.ChoiceFilter(choices=Severity.choices)
    start_date = django_filters.IsoDateTimeFilter(field_name="detected_at", lookup_expr="gte")
    end_date = django_filters.IsoDateTimeFilter(field_name="detected_at", lookup_expr="lte")
    site_name = django_filters.CharFilter(field_name="site_name")
    site_id = django_filters.CharFilter(field_name="site_id")
    assigned_to = django_filters.CharFilter(field_name="assigned_to__username")

    class Meta:
        model = Outage
        fields = ["status", "severity", "start_date", "end_date", "site_name", "site_id"]


class SeedFilterBackend(DjangoFilterBackend):
    """django-filter's backend answering seed 004's validation error: ``details.field`` and,
    for a choice, ``details.allowed_values``."""

    def filter_queryset(self, request, queryset, view):
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if not filterset.is_valid():
            errors = filterset.errors
            field = next(iter(errors))
            details = {"field": field}
            declared = filterset.filters.get(field)
            if isinstance(declared, django_filters.ChoiceFilter):
                details["allowed_values"] = [value for value, _ in declared.extra["choices"]]
            raise InvalidInput(
                {name: list(messages) for name, messages in errors.items()},
                message=f"Invalid {field}: {errors[field][0]}",
                details=details,
            )
        return filterset.qs
