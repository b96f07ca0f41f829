"""When the daily and weekly messages go out: at the first reminder time, in office hours."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

from bot.kernel.calendar import WorkCalendar
from bot.kernel.config import OrgConfig


def daily_slot(
    calendar: WorkCalendar, config: OrgConfig, now: datetime
) -> tuple[str, datetime] | None:
    """Today's slot (the first reminder time) once it has come, in office hours: the day as
    ISO text and local midnight; None outside office hours or before the slot."""
    first: tuple[time, ...] = config.items.reminder_times[:1]
    slot = reminder_slot(calendar, now, first)
    if slot is None:
        return None
    return slot[0].isoformat(), datetime.combine(slot[0], time(0), tzinfo=calendar.tz)


def weekly_slot(
    calendar: WorkCalendar, config: OrgConfig, now: datetime
) -> tuple[str, date] | None:
    """This week's slot: the first working day of the ISO week, from its first reminder time,
    in office hours. Returns the week ("2026-W48") and the day; None on other days."""
    if daily_slot(calendar, config, now) is None:
        return None
    today = calendar.local_date(now)
    if weekly_day(calendar, today) != today:
        return None
    return week_key(today), today


def reminder_slot(
    calendar: WorkCalendar, now: datetime, times: Sequence[time]
) -> tuple[date, time] | None:
    """The reminder time that is due at `now`: the latest configured time already passed today,
    provided the office is open now. None at week-ends, on holidays and closed days, before
    opening and after closing.

    A time before opening counts from the opening, so "07:00" fires at 08:00; a late run (the
    scheduler was down at 09:00) still finds the 09:00 slot until the 13:00 one begins.
    """
    if not calendar.is_open(now):
        return None
    today = calendar.local_date(now)
    hours = calendar.hours(today)
    assert hours is not None
    local = now.astimezone(calendar.tz)
    due = [
        slot
        for slot in sorted(set(times))
        if max(datetime.combine(today, slot, tzinfo=calendar.tz), hours[0]) <= local
        and datetime.combine(today, slot, tzinfo=calendar.tz) < hours[1]
    ]
    return (today, due[-1]) if due else None


def week_key(day: date) -> str:
    """The ISO week of a day, as "2026-W48"."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def weekly_day(calendar: WorkCalendar, day: date) -> date | None:
    """The first working day of the ISO week holding `day` (None: a week without one)."""
    monday = day - timedelta(days=day.weekday())
    for offset in range(7):
        candidate = monday + timedelta(days=offset)
        if calendar.is_working_day(candidate):
            return candidate
    return None
