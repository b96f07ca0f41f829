"""Where a post counts: its local day and ISO week (summer time, week 53), and which days and
weeks the volume guard looks at."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.activity.core import day_bounds, silent_days, volume_days, volume_weeks, week_bounds
from bot.kernel.config import parse_config
from tests.harness import CONFIG

OSLO = ZoneInfo("Europe/Oslo")
CALENDAR = parse_config(CONFIG, "vakt.toml").calendar()


def test_a_local_day_is_23_or_25_hours_when_summer_time_begins_or_ends() -> None:
    start, end = day_bounds(OSLO, date(2026, 3, 29))
    assert end - start == timedelta(hours=23)
    assert start == datetime(2026, 3, 28, 23, 0, tzinfo=UTC)
    start, end = day_bounds(OSLO, date(2026, 10, 25))
    assert end - start == timedelta(hours=25)
    assert end == datetime(2026, 10, 25, 23, 0, tzinfo=UTC)


def test_iso_week_53_spans_new_year() -> None:
    start, end = week_bounds(OSLO, date(2027, 1, 1))
    assert start == datetime(2026, 12, 28, tzinfo=OSLO)
    assert end == datetime(2027, 1, 4, tzinfo=OSLO)
    assert date(2027, 1, 1).isocalendar()[:2] == (2026, 53)


def test_volume_days_reach_back_to_the_previous_working_day() -> None:
    # Monday 23 November 2026: Friday's posts after closing are told now; the week-end's
    # days have no per-day limit.
    assert volume_days(CALENDAR, date(2026, 11, 23)) == [date(2026, 11, 20), date(2026, 11, 23)]
    assert volume_days(CALENDAR, date(2026, 11, 24)) == [date(2026, 11, 23), date(2026, 11, 24)]
    # Monday: last week too (a post late on Sunday); Tuesday: this week only.
    assert volume_weeks(CALENDAR, date(2026, 11, 23)) == [date(2026, 11, 16), date(2026, 11, 23)]
    assert volume_weeks(CALENDAR, date(2026, 11, 24)) == [date(2026, 11, 23)]
    # 24 December is closed (the configuration's closed days): Christmas Eve is skipped.
    assert date(2026, 12, 24) not in volume_days(CALENDAR, date(2026, 12, 28))


def test_silent_days_count_from_the_last_post_else_from_creation() -> None:
    assert silent_days(date(2026, 11, 20), date(2020, 1, 1), date(2026, 11, 23)) == 3
    assert silent_days(None, date(2026, 11, 1), date(2026, 11, 23)) == 22
    assert silent_days(date(2026, 11, 24), date(2020, 1, 1), date(2026, 11, 23)) == 0
