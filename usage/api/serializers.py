from datetime import date, datetime, timedelta

from django.utils import timezone
from rest_framework import serializers

from core.moments import parse_day_or_moment
from core.serializers import FleetSerializer
from usage.selectors import Granularity, GroupBy

# Seed 001: the default period is the last 30 days, today included.
DEFAULT_PERIOD_DAYS = 30
MAX_PERIOD_YEARS = 2


def years_before(day: date, years: int) -> date:
    if day.year - years < date.min.year:  # nothing lies before the calendar's first day
        return date.min
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _days_before(day: date, days: int) -> date:
    return day - timedelta(days=days) if day - date.min >= timedelta(days=days) else date.min


class DayField(serializers.DateField):
    """A day as seed 001's ISO 8601 allows: a date (``2026-11-30``) or a date-time, which
    names its day in UTC (``2026-11-30T23:30:00-02:00`` is 1 December), as the events and SMS
    filters take them."""

    def to_internal_value(self, value):
        if isinstance(value, str) and "T" in value.upper():
            moment = parse_day_or_moment(value)
            if not isinstance(moment, datetime):
                self.fail("invalid", format="YYYY-MM-DD or an ISO 8601 date-time")
            return moment.date()
        return super().to_internal_value(value)


class UsageQuerySerializer(FleetSerializer):
    """Query parameters of the usage endpoints; errors name the parameter (422)."""

    reject_unknown_fields = False  # a query string also carries paging, format, api_key

    start_date = DayField(
        required=False,
        help_text="First day (YYYY-MM-DD, or an ISO 8601 date-time: its day in UTC). "
        "Default: 30 days ago.",
    )
    end_date = DayField(
        required=False,
        help_text="Last day, included (YYYY-MM-DD, or an ISO 8601 date-time: its day in UTC). "
        "Default: today.",
    )
    granularity = serializers.ChoiceField(
        choices=Granularity.choices, default=Granularity.DAILY, required=False
    )

    def validate(self, attrs):
        today = timezone.now().date()
        end = attrs.get("end_date") or today
        start = attrs.get("start_date") or _days_before(min(end, today), DEFAULT_PERIOD_DAYS)
        if end < start:
            raise serializers.ValidationError(
                {"end_date": ["end_date must not be before start_date."]}
            )
        if start < years_before(end, MAX_PERIOD_YEARS):
            raise serializers.ValidationError(
                {"start_date": [f"The period may not exceed {MAX_PERIOD_YEARS} years."]}
            )
        return {**attrs, "start_date": start, "end_date": end}


class FleetUsageQuerySerializer(UsageQuerySerializer):
    group_by = serializers.ChoiceField(
        choices=GroupBy.choices,
        required=False,
        help_text="Also give the usage per SIM status or per tag (a SIM counts in each tag).",
    )


class PeriodSerializer(FleetSerializer):
    start = serializers.DateField()
    end = serializers.DateField()


class CoverageSerializer(FleetSerializer):
    """The days whose usage was read from 1NCE: inside them a day without usage is a zero
    row; before ``from`` nothing is known. Both null: nothing read yet."""

    def get_fields(self):
        # "from" is a Python keyword: declared here rather than as a class attribute.
        return {
            "from": serializers.DateField(
                allow_null=True, help_text="The first day read (the first mirrored day)."
            ),
            "to": serializers.DateField(allow_null=True, help_text="The last day read."),
        }


class UsageBucketSerializer(FleetSerializer):
    date = serializers.DateField(help_text="The day, or the first day of the week or month.")
    period = serializers.CharField(
        required=False, help_text="Weekly and monthly: the ISO week (2026-W53) or month (2026-12)."
    )
    start = serializers.DateField(required=False, help_text="First day within the period.")
    end = serializers.DateField(required=False, help_text="Last day within the period.")
    days = serializers.IntegerField(
        required=False, help_text="Days with data in the bucket (0: a covered, empty bucket)."
    )
    volume_rx = serializers.IntegerField(help_text="Bytes received by the device.")
    volume_tx = serializers.IntegerField(help_text="Bytes sent by the device.")
    total_volume = serializers.IntegerField(help_text="Bytes, both directions.")
    sms_mo = serializers.IntegerField()
    sms_mt = serializers.IntegerField()
    session_count = serializers.IntegerField(
        allow_null=True, help_text="Data sessions, where the upstream reports them."
    )


class FleetUsageBucketSerializer(UsageBucketSerializer):
    sim_count = serializers.IntegerField(
        help_text="SIMs with usage that day; for a week or month the highest daily count."
    )


class UsageSummarySerializer(FleetSerializer):
    total_volume = serializers.IntegerField()
    total_volume_rx = serializers.IntegerField()
    total_volume_tx = serializers.IntegerField()
    total_sms_mo = serializers.IntegerField()
    total_sms_mt = serializers.IntegerField()
    total_session_count = serializers.IntegerField(allow_null=True)
    average_daily_volume = serializers.IntegerField(
        help_text="Bytes per day of the period (rounded half up)."
    )
    peak_daily_volume = serializers.IntegerField()
    peak_date = serializers.DateField(allow_null=True)
    days = serializers.IntegerField(help_text="Days in the period.")
    days_with_data = serializers.IntegerField()


class SimUsageSerializer(FleetSerializer):
    iccid = serializers.CharField()
    period = PeriodSerializer()
    granularity = serializers.ChoiceField(choices=Granularity.choices)
    coverage = CoverageSerializer()
    usage = UsageBucketSerializer(many=True)
    summary = UsageSummarySerializer()


class FleetUsageGroupSerializer(FleetSerializer):
    key = serializers.CharField(allow_null=True, help_text="The status or tag; null: untagged.")
    usage = FleetUsageBucketSerializer(many=True)
    summary = UsageSummarySerializer()


class FleetUsageSerializer(FleetSerializer):
    period = PeriodSerializer()
    granularity = serializers.ChoiceField(choices=Granularity.choices)
    group_by = serializers.ChoiceField(choices=GroupBy.choices, allow_null=True)
    coverage = CoverageSerializer()
    usage = FleetUsageBucketSerializer(many=True)
    summary = UsageSummarySerializer()
    groups = FleetUsageGroupSerializer(many=True, required=False)


class UsageSyncSerializer(FleetSerializer):
    iccid = serializers.CharField()
    fetched_from = serializers.DateField(help_text="First day asked of 1NCE.")
    fetched_to = serializers.DateField(help_text="Last day asked of 1NCE.")
    records_added = serializers.IntegerField(source="added")
    records_updated = serializers.IntegerField(source="updated")
    records_unchanged = serializers.IntegerField(source="unchanged")
    latest_date = serializers.DateField(allow_null=True, help_text="The newest stored day.")
