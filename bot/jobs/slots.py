"""When the daily and weekly messages go out: at the first reminder time, in office hours."""

from __future__ import annotations

from datetime import date, datetime, time

from bot.config import OrgConfig
from bot.core.calendar import WorkCalendar
from bot.core.items import reminder_slot
from bot.core.register import week_key, weekly_day


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
