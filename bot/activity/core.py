"""Activity and posting volume as plain functions: the local day and ISO week a post counts in,
which days the volume guard looks at, and how long an account has been silent.

Posts are stored as UTC instants; they are counted in the organisation's own calendar, so a post
at 00:30 on a Monday in Oslo belongs to that Monday and its ISO week, summer time or not.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo

from bot.kernel.calendar import WorkCalendar

CLOCK_SKEW = timedelta(minutes=5)  # a post "in the future" by less than this is clock drift
MAX_AGE = timedelta(days=366)  # older posts say nothing about an account's activity now


def day_bounds(tz: tzinfo, day: date) -> tuple[datetime, datetime]:
    """Local midnight of `day` and of the day after, as UTC instants (23 or 25 hours apart on
    the days summer time begins and ends)."""
    return _midnight(tz, day), _midnight(tz, day + timedelta(days=1))


def _midnight(tz: tzinfo, day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def week_monday(day: date) -> date:
    """The Monday of the ISO week holding `day`."""
    return day - timedelta(days=day.weekday())


def week_bounds(tz: tzinfo, day: date) -> tuple[datetime, datetime]:
    """Local midnight on the Monday of `day`'s ISO week, and on the Monday after (UTC)."""
    monday = week_monday(day)
    return _midnight(tz, monday), _midnight(tz, monday + timedelta(days=7))


def volume_days(calendar: WorkCalendar, today: date) -> list[date]:
    """The days the volume guard checks at a sweep on `today`: every working day from the one
    before today up to today, so that posts recorded after closing time (or over a week-end)
    are told at the next sweep in office hours. The per-day limit counts working days only."""
    start = calendar.previous_working_day(today)
    days = [start + timedelta(days=n) for n in range((today - start).days + 1)]
    return [d for d in days if calendar.is_working_day(d)]


def volume_weeks(calendar: WorkCalendar, today: date) -> list[date]:
    """The Mondays of the ISO weeks the volume guard checks on `today`: this week, and the
    previous one while posts made in it after the last office hours may not have been told."""
    start = calendar.previous_working_day(today)
    return sorted({week_monday(start), week_monday(today)})


def silent_days(last_post: date | None, created: date, today: date) -> int:
    """Days since the last post (since the account was created when it never posted)."""
    return max((today - (last_post or created)).days, 0)
