import datetime as dt

import django_filters
from django import forms

from core.moments import parse_day_or_moment
from sms.models import SmsDirection, SmsMessage, SmsStatus


class DateOrDateTimeField(forms.CharField):
    """``YYYY-MM-DD`` or an ISO 8601 date-time (naive ones are UTC). As an inclusive end
    (``whole_day_end``) a day means up to the start of the next one, which must exist."""

    def __init__(self, *args, whole_day_end: bool = False, **kwargs):
        self.whole_day_end = whole_day_end
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        parsed = parse_day_or_moment(value)  # a day is kept as a day
        if parsed is None:
            raise forms.ValidationError("Use YYYY-MM-DD or an ISO 8601 date-time.")
        if self.whole_day_end and not isinstance(parsed, dt.datetime) and parsed >= dt.date.max:
            raise forms.ValidationError(f"Use a day before {dt.date.max.isoformat()}.")
        return parsed


class DateOrDateTimeFilter(django_filters.Filter):
    field_class = DateOrDateTimeField
    skips_empty = True  # no value cleans to None, which filters nothing (core.filters)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.extra["whole_day_end"] = self.lookup_expr == "lte"

    def filter(self, qs, value):
        if value is None:
            return qs
        end = self.lookup_expr == "lte"
        if not isinstance(value, dt.datetime):  # a day: all of it
            day = value + dt.timedelta(days=1) if end else value
            value = dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)
            return qs.filter(**{f"{self.field_name}__{'lt' if end else 'gte'}": value})
        return qs.filter(**{f"{self.field_name}__{self.lookup_expr}": value})


class SmsMessageFilterSet(django_filters.FilterSet):
    direction = django_filters.ChoiceFilter(choices=SmsDirection.choices, method="filter_direction")
    status = django_filters.MultipleChoiceFilter(choices=SmsStatus.choices)
    start_date = DateOrDateTimeFilter(
        field_name="created_at", lookup_expr="gte", help_text="From this day or date-time."
    )
    end_date = DateOrDateTimeFilter(
        field_name="created_at", lookup_expr="lte", help_text="To this day (inclusive) or time."
    )

    class Meta:
        model = SmsMessage
        fields = ["direction", "status", "encoding"]

    def filter_direction(self, queryset, name, value):
        return queryset.filter(direction=value.upper())
