"""Seed 004's payment history filters: period, type and status."""

import django_filters

from payments.models import LedgerStatus, Payment, PaymentType
from payments.selectors import in_period, parse_moment


class PaymentFilterSet(django_filters.FilterSet):
    """Applied as every list's filters are (``core.filters.FilterBackend``): a request with none
    of its parameters skips it, so each filter leaves the payments alone without a value (as
    django-filter's own do)."""

    start_date = django_filters.CharFilter(method="filter_period", label="From (date or ISO 8601)")
    end_date = django_filters.CharFilter(method="filter_period", label="To (date or ISO 8601)")
    type = django_filters.ChoiceFilter(field_name="payment_type", choices=PaymentType.choices)
    status = django_filters.ChoiceFilter(choices=LedgerStatus.choices)
    outage_id = django_filters.CharFilter(field_name="outage_ref")

    class Meta:
        model = Payment
        fields = ["start_date", "end_date", "type", "status", "outage_id"]

    def filter_period(self, queryset, name, value):
        """Both bounds at once, when the first given one is met: each is checked against the
        other (a start after the end is refused)."""
        data = self.form.cleaned_data
        if name == "end_date" and data.get("start_date"):
            return queryset  # applied with start_date
        return in_period(
            queryset,
            parse_moment(data.get("start_date"), name="start_date"),
            parse_moment(data.get("end_date"), name="end_date", end=True),
        )
