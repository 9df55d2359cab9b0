import django_filters

from alerts.models import Alert, AlertStatus


class AlertFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=AlertStatus.choices)
    event_type = django_filters.CharFilter()
    rule = django_filters.NumberFilter(field_name="rule_id")
    subject = django_filters.CharFilter()

    class Meta:
        model = Alert
        fields = ["status", "event_type", "rule", "subject"]
