from datetime import date, timedelta

from usage.selectors import Day, bucket_bounds, buckets, summarize


def days_between(start: date, end: date, volume: int = 100) -> list[Day]:
    count = (end - start).days + 1
    return [Day(start + timedelta(days=i), volume, volume // 2, 1, 2) for i in range(count)]


def test_iso_week_53_and_week_1_of_the_next_year():
    assert bucket_bounds(date(2026, 12, 31), "weekly") == (
        date(2026, 12, 28),
        date(2027, 1, 3),
        "2026-W53",
    )
    assert bucket_bounds(date(2027, 1, 3), "weekly")[2] == "2026-W53"
    assert bucket_bounds(date(2027, 1, 4), "weekly") == (
        date(2027, 1, 4),
        date(2027, 1, 10),
        "2027-W01",
    )


def test_weekly_buckets_across_the_year_edge_are_clipped_to_the_period():
    start, end = date(2026, 12, 30), date(2027, 1, 5)
    rows = buckets(days_between(start, end), "weekly", start, end)
    assert [(r["period"], r["start"], r["end"], r["days"]) for r in rows] == [
        ("2026-W53", date(2026, 12, 30), date(2027, 1, 3), 5),
        ("2027-W01", date(2027, 1, 4), date(2027, 1, 5), 2),
    ]
    assert rows[0]["volume_rx"] == 500 and rows[0]["total_volume"] == 750
    assert rows[1]["sms_mo"] == 2 and rows[1]["sms_mt"] == 4


def test_monthly_buckets_december_to_january_and_february_of_a_leap_year():
    start, end = date(2027, 12, 15), date(2028, 2, 29)
    rows = buckets(days_between(start, end, volume=10), "monthly", start, end)
    assert [(r["period"], r["start"], r["end"], r["days"]) for r in rows] == [
        ("2027-12", date(2027, 12, 15), date(2027, 12, 31), 17),
        ("2028-01", date(2028, 1, 1), date(2028, 1, 31), 31),
        ("2028-02", date(2028, 2, 1), date(2028, 2, 29), 29),
    ]
    assert rows[1]["total_volume"] == 31 * 15
    assert rows[0]["date"] == date(2027, 12, 15)


def test_daily_rows_keep_seed_shape():
    day = date(2024, 10, 1)
    (row,) = buckets([Day(day, 1_048_576, 524_288, 5, 3, 12)], "daily", day, day)
    assert row == {
        "date": day,
        "volume_rx": 1_048_576,
        "volume_tx": 524_288,
        "total_volume": 1_572_864,
        "sms_mo": 5,
        "sms_mt": 3,
        "session_count": 12,
    }


def test_summary_matches_seed_example_average_over_the_period():
    start, end = date(2024, 10, 1), date(2024, 10, 31)
    days = [
        Day(date(2024, 10, 1), 31_457_280 - 5_242_880, 15_728_640 - 0, 150, 90),
        Day(date(2024, 10, 15), 5_242_880, 0, 0, 0),
    ]
    summary = summarize(days, start, end)
    assert summary["total_volume"] == 47_185_920
    assert summary["total_volume_rx"] == 31_457_280
    assert summary["total_volume_tx"] == 15_728_640
    assert summary["total_sms_mo"] == 150 and summary["total_sms_mt"] == 90
    assert summary["average_daily_volume"] == 1_522_126  # 47,185,920 / 31 days
    assert summary["peak_daily_volume"] == 41_943_040
    assert summary["peak_date"] == date(2024, 10, 1)
    assert summary["days"] == 31 and summary["days_with_data"] == 2
    assert summary["total_session_count"] is None


def test_summary_peak_tie_is_the_earliest_day_and_empty_period_is_zero():
    start = date(2025, 3, 1)
    days = [Day(start, 5, 5, 0, 0), Day(start + timedelta(days=1), 10, 0, 0, 0)]
    assert summarize(days, start, start + timedelta(days=1))["peak_date"] == start
    empty = summarize([], start, start)
    assert empty["peak_date"] is None and empty["average_daily_volume"] == 0


def test_average_rounds_half_up_to_a_byte():
    start = date(2025, 1, 1)
    assert (
        summarize([Day(start, 3, 0, 0, 0)], start, start + timedelta(days=1))[
            "average_daily_volume"
        ]
        == 2
    )
