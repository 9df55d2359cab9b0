from datetime import datetime

import django_filters
from django import forms
from django_filters.rest_framework import DjangoFilterBackend

from core.errors import InvalidInput
from core.filters import allowed_values, asks_no_filter, filter_errors
from core.moments import moment_of
from outages.analytics import GROUPS
from outages.models import Outage, OutageStatus, Severity


def parse_moment(raw: str, *, field: str, end: bool = False) -> datetime:
    """An ISO 8601 date-time (naive: UTC) or date (as an end: its last microsecond), in UTC;
    seed 004's validation error otherwise. UTC before it reaches the database, which refuses
    offsets Python accepts (``+18:47``)."""
    value = moment_of(raw, end=end)
    if value is None:
        raise InvalidInput(
            {field: "Use an ISO 8601 date or date-time."},
            message=f"{field} must be an ISO 8601 date or date-time.",
            details={"field": field},
        )
    return value


class OutageFilterSet(django_filters.FilterSet):
    """Seed 004's outage filters: status, severity, detection date range, site."""

    status = django_filters.ChoiceFilter(choices=OutageStatus.choices)
    severity = django_filters.ChoiceFilter(choices=Severity.choices)
    start_date = django_filters.CharFilter(method="filter_start", help_text="Detected from.")
    end_date = django_filters.CharFilter(method="filter_end", help_text="Detected until.")
    site_name = django_filters.CharFilter(field_name="site_name")
    site_id = django_filters.CharFilter(field_name="site_id")
    assigned_to = django_filters.CharFilter(field_name="assigned_to__username")

    class Meta:
        model = Outage
        fields = ["status", "severity", "start_date", "end_date", "site_name", "site_id"]

    def filter_start(self, queryset, name, value):
        return queryset.filter(detected_at__gte=parse_moment(value, field=name))

    def filter_end(self, queryset, name, value):
        return queryset.filter(detected_at__lte=parse_moment(value, field=name, end=True))


def seed_parameters(form, messages: dict[str, str] | None = None) -> dict:
    """The form's cleaned parameters, or seed 004's validation error for the first refused:
    ``details.field`` and, for a choice, ``details.allowed_values``; ``details.errors`` words
    every refusal as every list does (``core.filters.filter_errors``: a choice names its
    values). ``messages`` gives a parameter's seed message (else ``Invalid <name>: <error>``)."""
    if form.is_valid():
        return form.cleaned_data
    errors = filter_errors(form)
    field = next(iter(errors))
    details = {"field": field}
    declared = form.fields.get(field)
    if isinstance(declared, forms.ChoiceField):
        details["allowed_values"] = allowed_values(declared)
    message = (messages or {}).get(field) or f"Invalid {field}: {errors[field][0]}"
    raise InvalidInput(errors, message=message, details=details)


class SeedFilterBackend(DjangoFilterBackend):
    """django-filter's backend answering seed 004's validation error (``seed_parameters``)."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None:
            return queryset
        if asks_no_filter(filterset_class, request.query_params):
            return queryset.all()
        filterset = filterset_class(**self.get_filterset_kwargs(request, queryset, view))
        seed_parameters(filterset.form)
        return filterset.qs


class MttrParameters(forms.Form):
    """The MTTR statistics' choice parameters (seed 004)."""

    severity = forms.ChoiceField(choices=Severity.choices, required=False)
    group_by = forms.ChoiceField(choices=[(g, g) for g in GROUPS], required=False)


REPORT_FORMATS = ("json", "csv", "pdf")


class ReportParameters(forms.Form):
    """The SLA report's ``format`` (default: the Accept header, else JSON)."""

    format = forms.ChoiceField(choices=[(f, f) for f in REPORT_FORMATS], required=False)
