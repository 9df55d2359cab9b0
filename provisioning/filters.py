import django_filters
from django.db.models import Q

from core.filters import UtcIsoDateTimeFilter
from provisioning.models import Operation, ProvisioningRequest, RequestStatus, Subscriber


class SubscriberFilterSet(django_filters.FilterSet):
    search = django_filters.CharFilter(
        method="filter_search", help_text="ICCID, MSISDN or IMSI prefix, or admin info text."
    )
    created_after = UtcIsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UtcIsoDateTimeFilter(field_name="created_at", lookup_expr="lte")

    class Meta:
        model = Subscriber
        fields = ["cust_id", "subscriber_state", "service_profile", "iccid", "msisdn"]

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        if value.isdigit():
            return queryset.filter(
                Q(iccid__startswith=value) | Q(msisdn__startswith=value) | Q(imsi__startswith=value)
            )
        return queryset.filter(admin_info__icontains=value)


class ProvisioningRequestFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=RequestStatus.choices)
    operation = django_filters.MultipleChoiceFilter(choices=Operation.choices)
    from_date = UtcIsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    to_date = UtcIsoDateTimeFilter(field_name="created_at", lookup_expr="lte")

    class Meta:
        model = ProvisioningRequest
        fields = ["status", "operation", "iccid", "queued"]
