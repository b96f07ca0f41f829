"""Tests for the pure item rules: deadlines, reminder slots, escalation and the small helpers.

Every expected date is worked out by hand from the Norwegian and Swedish calendars.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.items.core import (
    age_working_days,
    deadline_for,
    escalation_cutoff,
    excerpt_of,
    first_link,
    percentile,
)
from bot.kernel.calendar import CalendarRules, WorkCalendar
from bot.kernel.slots import reminder_slot

OSLO = ZoneInfo("Europe/Oslo")
STOCKHOLM = ZoneInfo("Europe/Stockholm")
CET = timedelta(hours=1)
CEST = timedelta(hours=2)

NO = WorkCalendar(CalendarRules(timezone="Europe/Oslo", country="NO"))
SE = WorkCalendar(CalendarRules(timezone="Europe/Stockholm", country="SE"))
COUNTRIES = [pytest.param(NO, id="NO"), pytest.param(SE, id="SE")]

# An ordinary September week per year (no holiday in Norway or Sweden): Monday .. Friday.
ORDINARY_MONDAY = {2026: date(2026, 9, 7), 2027: date(2027, 9, 6)}
YEARS = [pytest.param(y, id=str(y)) for y in ORDINARY_MONDAY]

SLOTS = (time(9), time(13))


def oslo(y: int, m: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0, us: int = 0) -> datetime:
    """An aware Europe/Oslo wall-clock datetime."""
    return datetime(y, m, d, hh, mm, ss, us, tzinfo=OSLO)


def sthlm(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    """An aware Europe/Stockholm wall-clock datetime."""
    return datetime(y, m, d, hh, mm, tzinfo=STOCKHOLM)


def utc(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    """An aware UTC datetime."""
    return datetime(y, m, d, hh, mm, tzinfo=UTC)


def at(day: date, hh: int = 0, mm: int = 0, tz: ZoneInfo = OSLO) -> datetime:
    """Wall-clock time on day in tz."""
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=tz)


def oslo_calendar(**kwargs: Any) -> WorkCalendar:
    """A Norwegian calendar with extra rules."""
    return WorkCalendar(CalendarRules(timezone="Europe/Oslo", country="NO", **kwargs))


def wall(instant: datetime, cal: WorkCalendar) -> datetime:
    """The instant as a naive wall-clock time in the calendar's zone."""
    return instant.astimezone(cal.tz).replace(tzinfo=None)


# --- deadline_for ------------------------------------------------------------------------------


@pytest.mark.parametrize("year", YEARS)
@pytest.mark.parametrize("cal", COUNTRIES)
@pytest.mark.parametrize(
    ("asked_day", "hh", "mm"),
    [
        pytest.param(4, 15, 59, id="friday-15:59"),
        pytest.param(4, 16, 0, id="friday-16:00"),
        pytest.param(4, 23, 59, id="friday-23:59"),
        pytest.param(5, 0, 0, id="saturday-00:00"),
        pytest.param(5, 11, 0, id="saturday-11:00"),
        pytest.param(6, 22, 0, id="sunday-22:00"),
    ],
)
def test_friday_and_weekend_fall_due_when_monday_closes(
    cal: WorkCalendar, year: int, asked_day: int, hh: int, mm: int
) -> None:
    monday = ORDINARY_MONDAY[year]
    asked = at(monday + timedelta(days=asked_day), hh, mm, tz=cal.tz)
    due = deadline_for(cal, asked, 1)
    assert due == at(monday + timedelta(days=7), 16, tz=cal.tz)
    assert wall(due, cal) == datetime.combine(monday + timedelta(days=7), time(16))


@pytest.mark.parametrize("year", YEARS)
@pytest.mark.parametrize("cal", COUNTRIES)
@pytest.mark.parametrize(
    ("hh", "mm"),
    [
        pytest.param(6, 0, id="before-opening"),
        pytest.param(8, 0, id="opening"),
        pytest.param(15, 59, id="last-minute"),
        pytest.param(16, 0, id="closing"),
        pytest.param(17, 30, id="after-closing"),
        pytest.param(23, 59, id="midnight"),
    ],
)
def test_weekday_counts_from_the_date_not_the_moment(
    cal: WorkCalendar, year: int, hh: int, mm: int
) -> None:
    tuesday = ORDINARY_MONDAY[year] + timedelta(days=1)
    due = deadline_for(cal, at(tuesday, hh, mm, tz=cal.tz), 1)
    assert due == at(tuesday + timedelta(days=1), 16, tz=cal.tz)


@pytest.mark.parametrize(
    ("cal", "asked", "due"),
    [
        # Easter 2026 in Norway: Maundy Thursday, Good Friday and Easter Monday are closed.
        pytest.param(
            NO, oslo(2026, 4, 1, 12), oslo(2026, 4, 7, 16), id="NO-2026-wed-before-easter"
        ),
        pytest.param(NO, oslo(2026, 4, 2, 10), oslo(2026, 4, 7, 16), id="NO-2026-maundy-thursday"),
        pytest.param(NO, oslo(2026, 4, 3, 10), oslo(2026, 4, 7, 16), id="NO-2026-good-friday"),
        pytest.param(NO, oslo(2026, 4, 6, 10), oslo(2026, 4, 7, 16), id="NO-2026-easter-monday"),
        pytest.param(
            NO, oslo(2027, 3, 25, 10), oslo(2027, 3, 30, 16), id="NO-2027-maundy-thursday"
        ),
        # Sweden works on Maundy Thursday: a Wednesday question is due then.
        pytest.param(
            SE, sthlm(2026, 4, 1, 12), sthlm(2026, 4, 2, 16), id="SE-2026-wed-before-easter"
        ),
        pytest.param(
            SE, sthlm(2026, 4, 2, 10), sthlm(2026, 4, 7, 16), id="SE-2026-maundy-thursday"
        ),
        pytest.param(
            SE, sthlm(2027, 3, 24, 10), sthlm(2027, 3, 25, 16), id="SE-2027-wed-before-easter"
        ),
        # Ascension Day (Thursday 14 May 2026, 6 May 2027) and the day before: due Friday.
        pytest.param(
            NO, oslo(2026, 5, 13, 10), oslo(2026, 5, 15, 16), id="NO-2026-before-ascension"
        ),
        pytest.param(NO, oslo(2026, 5, 14, 10), oslo(2026, 5, 15, 16), id="NO-2026-ascension"),
        pytest.param(
            SE, sthlm(2026, 5, 13, 10), sthlm(2026, 5, 15, 16), id="SE-2026-before-ascension"
        ),
        pytest.param(SE, sthlm(2026, 5, 14, 10), sthlm(2026, 5, 15, 16), id="SE-2026-ascension"),
        pytest.param(NO, oslo(2027, 5, 5, 10), oslo(2027, 5, 7, 16), id="NO-2027-before-ascension"),
        pytest.param(
            SE, sthlm(2027, 5, 5, 10), sthlm(2027, 5, 7, 16), id="SE-2027-before-ascension"
        ),
        # 17 May 2027 is a Monday (and Whit Monday): closed in Norway, open in Sweden.
        pytest.param(
            NO, oslo(2027, 5, 14, 10), oslo(2027, 5, 18, 16), id="NO-2027-friday-before-17-may"
        ),
        pytest.param(NO, oslo(2027, 5, 17, 10), oslo(2027, 5, 18, 16), id="NO-2027-17-may"),
        pytest.param(
            SE, sthlm(2027, 5, 14, 10), sthlm(2027, 5, 17, 16), id="SE-2027-friday-before-17-may"
        ),
        # 17 May 2026 is a Sunday: the Monday after is an ordinary working day.
        pytest.param(NO, oslo(2026, 5, 15, 10), oslo(2026, 5, 18, 16), id="NO-2026-friday-15-may"),
        pytest.param(
            NO, oslo(2026, 5, 16, 10), oslo(2026, 5, 18, 16), id="NO-2026-saturday-16-may"
        ),
        pytest.param(NO, oslo(2026, 5, 17, 10), oslo(2026, 5, 18, 16), id="NO-2026-sunday-17-may"),
        # Midsummer Eve (Friday 19 June 2026, 25 June 2027) is closed in Sweden only.
        pytest.param(
            SE, sthlm(2026, 6, 18, 10), sthlm(2026, 6, 22, 16), id="SE-2026-before-midsummer"
        ),
        pytest.param(
            SE, sthlm(2026, 6, 19, 10), sthlm(2026, 6, 22, 16), id="SE-2026-midsummer-eve"
        ),
        pytest.param(
            SE, sthlm(2027, 6, 24, 10), sthlm(2027, 6, 28, 16), id="SE-2027-before-midsummer"
        ),
        pytest.param(
            NO, oslo(2026, 6, 18, 10), oslo(2026, 6, 19, 16), id="NO-2026-before-midsummer"
        ),
        # Christmas 2026: Thursday 24 (closed in Sweden only), Friday 25, Saturday 26.
        pytest.param(NO, oslo(2026, 12, 23, 10), oslo(2026, 12, 24, 16), id="NO-2026-23-dec"),
        pytest.param(
            NO, oslo(2026, 12, 24, 10), oslo(2026, 12, 28, 16), id="NO-2026-christmas-eve"
        ),
        pytest.param(SE, sthlm(2026, 12, 23, 10), sthlm(2026, 12, 28, 16), id="SE-2026-23-dec"),
        # New Year 2026/27: Thursday 31 December (closed in Sweden only), Friday 1 January.
        pytest.param(NO, oslo(2026, 12, 30, 10), oslo(2026, 12, 31, 16), id="NO-2026-30-dec"),
        pytest.param(NO, oslo(2026, 12, 31, 10), oslo(2027, 1, 4, 16), id="NO-2026-new-years-eve"),
        pytest.param(SE, sthlm(2026, 12, 30, 10), sthlm(2027, 1, 4, 16), id="SE-2026-30-dec"),
    ],
)
def test_deadline_around_holidays(cal: WorkCalendar, asked: datetime, due: datetime) -> None:
    assert deadline_for(cal, asked, 1) == due
    assert wall(deadline_for(cal, asked, 1), cal) == due.replace(tzinfo=None)


def test_17_may_2026_is_a_sunday_holiday_and_the_monday_after_is_open() -> None:
    assert date(2026, 5, 17).weekday() == 6
    assert NO.holiday_name(date(2026, 5, 17)) == "Constitution Day"
    assert NO.holiday_name(date(2026, 5, 16)) is None
    assert NO.is_working_day(date(2026, 5, 18))


@pytest.mark.parametrize(
    ("cal", "asked", "local_due", "utc_due", "offset"),
    [
        # Summer time starts on Sunday 29 March 2026.
        pytest.param(
            NO,
            oslo(2026, 3, 27, 15),
            datetime(2026, 3, 30, 16),
            utc(2026, 3, 30, 14),
            CEST,
            id="NO-2026-spring",
        ),
        pytest.param(
            SE,
            sthlm(2026, 3, 27, 15),
            datetime(2026, 3, 30, 16),
            utc(2026, 3, 30, 14),
            CEST,
            id="SE-2026-spring",
        ),
        # ... and ends on Sunday 25 October 2026.
        pytest.param(
            NO,
            oslo(2026, 10, 23, 15),
            datetime(2026, 10, 26, 16),
            utc(2026, 10, 26, 15),
            CET,
            id="NO-2026-autumn",
        ),
        pytest.param(
            SE,
            sthlm(2026, 10, 23, 15),
            datetime(2026, 10, 26, 16),
            utc(2026, 10, 26, 15),
            CET,
            id="SE-2026-autumn",
        ),
        # 2027: summer time starts on Easter Sunday 28 March; Maundy Thursday is closed in Norway.
        pytest.param(
            NO,
            oslo(2027, 3, 25, 15),
            datetime(2027, 3, 30, 16),
            utc(2027, 3, 30, 14),
            CEST,
            id="NO-2027-spring-easter",
        ),
        # ... and ends on Sunday 31 October 2027.
        pytest.param(
            NO,
            oslo(2027, 10, 29, 15),
            datetime(2027, 11, 1, 16),
            utc(2027, 11, 1, 15),
            CET,
            id="NO-2027-autumn",
        ),
        pytest.param(
            SE,
            sthlm(2027, 10, 29, 15),
            datetime(2027, 11, 1, 16),
            utc(2027, 11, 1, 15),
            CET,
            id="SE-2027-autumn",
        ),
    ],
)
def test_deadline_across_dst_change(
    cal: WorkCalendar, asked: datetime, local_due: datetime, utc_due: datetime, offset: timedelta
) -> None:
    due = deadline_for(cal, asked, 1)
    assert wall(due, cal) == local_due
    assert due.astimezone(UTC) == utc_due
    assert due.utcoffset() == offset
    assert asked.utcoffset() != offset  # the question was asked on the other side of the change


@pytest.mark.parametrize("year", YEARS)
@pytest.mark.parametrize("cal", COUNTRIES)
def test_deadline_two_working_days(cal: WorkCalendar, year: int) -> None:
    monday = ORDINARY_MONDAY[year]
    thursday, friday = monday + timedelta(days=3), monday + timedelta(days=4)
    assert deadline_for(cal, at(monday, 10, tz=cal.tz), 2) == at(
        monday + timedelta(days=2), 16, tz=cal.tz
    )
    assert deadline_for(cal, at(thursday, 10, tz=cal.tz), 2) == at(
        monday + timedelta(days=7), 16, tz=cal.tz
    )
    assert deadline_for(cal, at(friday, 17, tz=cal.tz), 2) == at(
        monday + timedelta(days=8), 16, tz=cal.tz
    )


def test_deadline_two_working_days_over_easter() -> None:
    # Norway 2026: Tuesday 7 April is the first working day after Maundy Thursday, Wednesday
    # the second.
    assert deadline_for(NO, oslo(2026, 4, 2, 10), 2) == oslo(2026, 4, 8, 16)
    assert deadline_for(NO, oslo(2026, 4, 1, 10), 2) == oslo(2026, 4, 8, 16)
    # Sweden 2026: Wednesday 1 April -> Thursday 2 (1), Tuesday 7 (2).
    assert deadline_for(SE, sthlm(2026, 4, 1, 10), 2) == sthlm(2026, 4, 7, 16)


@pytest.mark.parametrize(
    ("asked", "due"),
    [
        # 22:30 UTC on Thursday 10 September 2026 is 00:30 on Friday in Oslo (CEST).
        pytest.param(utc(2026, 9, 10, 22, 30), oslo(2026, 9, 14, 16), id="summer-next-day"),
        pytest.param(utc(2026, 9, 10, 21, 59), oslo(2026, 9, 11, 16), id="summer-same-day"),
        # 23:30 UTC on Thursday 3 December 2026 is 00:30 on Friday in Oslo (CET).
        pytest.param(utc(2026, 12, 3, 23, 30), oslo(2026, 12, 7, 16), id="winter-next-day"),
        pytest.param(utc(2026, 12, 3, 22, 59), oslo(2026, 12, 4, 16), id="winter-same-day"),
        # 23:15 UTC on Wednesday 13 May 2026 is already Ascension Day in Oslo.
        pytest.param(utc(2026, 5, 13, 22, 15), oslo(2026, 5, 15, 16), id="ascension"),
    ],
)
def test_deadline_uses_the_local_date_of_a_utc_instant(asked: datetime, due: datetime) -> None:
    result = deadline_for(NO, asked, 1)
    assert result == due
    assert wall(result, NO) == due.replace(tzinfo=None)


def test_deadline_is_in_the_organisation_zone() -> None:
    due = deadline_for(NO, utc(2026, 9, 9, 12), 1)
    assert isinstance(due.tzinfo, ZoneInfo)
    assert due.tzinfo.key == "Europe/Oslo"


def test_deadline_on_a_half_day_is_the_early_closing() -> None:
    cal = oslo_calendar(half_days_recurring={(12, 23): time(12)})
    assert deadline_for(cal, oslo(2026, 12, 22, 9), 1) == oslo(2026, 12, 23, 12)


# --- reminder_slot -----------------------------------------------------------------------------

MONDAY = date(2026, 9, 7)


@pytest.mark.parametrize(
    ("hh", "mm", "expected"),
    [
        pytest.param(7, 0, None, id="07:00-closed"),
        pytest.param(8, 0, None, id="08:00-open-no-slot-yet"),
        pytest.param(8, 59, None, id="08:59"),
        pytest.param(9, 0, time(9), id="09:00"),
        pytest.param(10, 30, time(9), id="10:30"),
        pytest.param(12, 59, time(9), id="12:59"),
        pytest.param(13, 0, time(13), id="13:00"),
        pytest.param(15, 59, time(13), id="15:59"),
        pytest.param(16, 0, None, id="16:00-closing"),
        pytest.param(17, 0, None, id="17:00"),
        pytest.param(23, 59, None, id="23:59"),
    ],
)
def test_reminder_slot_through_a_monday(hh: int, mm: int, expected: time | None) -> None:
    slot = reminder_slot(NO, oslo(2026, 9, 7, hh, mm), SLOTS)
    assert slot == (None if expected is None else (MONDAY, expected))


def test_reminder_slot_in_sweden() -> None:
    assert reminder_slot(SE, sthlm(2026, 9, 7, 9), SLOTS) == (MONDAY, time(9))
    assert reminder_slot(SE, sthlm(2026, 6, 19, 10), SLOTS) is None  # Midsummer Eve


def test_reminder_slot_order_and_duplicates_do_not_matter() -> None:
    times = (time(13), time(9), time(9))
    assert reminder_slot(NO, oslo(2026, 9, 7, 12), times) == (MONDAY, time(9))
    assert reminder_slot(NO, oslo(2026, 9, 7, 14), times) == (MONDAY, time(13))


def test_reminder_slot_accepts_an_instant_in_utc() -> None:
    # 07:00 UTC is 09:00 in Oslo in September.
    assert reminder_slot(NO, utc(2026, 9, 7, 7), SLOTS) == (MONDAY, time(9))
    assert reminder_slot(NO, utc(2026, 9, 7, 6, 59), SLOTS) is None
    # 12:00 UTC is 13:00 in Oslo in December.
    assert reminder_slot(NO, utc(2026, 12, 7, 12), SLOTS) == (date(2026, 12, 7), time(13))


@pytest.mark.parametrize(
    "now",
    [
        pytest.param(oslo(2026, 9, 12, 10), id="saturday"),
        pytest.param(oslo(2026, 9, 13, 14), id="sunday"),
        pytest.param(oslo(2026, 5, 14, 10), id="ascension-day"),
        pytest.param(oslo(2026, 4, 2, 14), id="maundy-thursday"),
        pytest.param(oslo(2027, 5, 17, 10), id="17-may-2027"),
    ],
)
def test_no_reminder_on_closed_days(now: datetime) -> None:
    assert reminder_slot(NO, now, SLOTS) is None


def test_no_reminder_on_a_configured_closed_day() -> None:
    cal = oslo_calendar(closed_dates=frozenset({date(2026, 9, 8)}), closed_recurring={(12, 24)})
    assert reminder_slot(cal, oslo(2026, 9, 8, 10), SLOTS) is None
    assert reminder_slot(cal, oslo(2026, 9, 8, 14), SLOTS) is None
    assert reminder_slot(cal, oslo(2026, 12, 24, 10), SLOTS) is None
    assert reminder_slot(NO, oslo(2026, 12, 24, 10), SLOTS) == (date(2026, 12, 24), time(9))
    assert reminder_slot(cal, oslo(2026, 9, 9, 10), SLOTS) == (date(2026, 9, 9), time(9))


def test_reminder_before_opening_counts_from_opening() -> None:
    times = (time(7), time(13))
    assert reminder_slot(NO, oslo(2026, 9, 7, 7), times) is None  # the office is still closed
    assert reminder_slot(NO, oslo(2026, 9, 7, 7, 59), times) is None
    assert reminder_slot(NO, oslo(2026, 9, 7, 8), times) == (MONDAY, time(7))
    assert reminder_slot(NO, oslo(2026, 9, 7, 12, 59), times) == (MONDAY, time(7))
    assert reminder_slot(NO, oslo(2026, 9, 7, 13), times) == (MONDAY, time(13))


def test_slot_after_closing_on_a_half_day_never_fires() -> None:
    cal = oslo_calendar(half_days_dates={MONDAY: time(12)})
    seen = set()
    start = oslo(2026, 9, 7)
    for minute in range(24 * 60):
        slot = reminder_slot(cal, start + timedelta(minutes=minute), SLOTS)
        if slot is not None:
            seen.add(slot)
    assert seen == {(MONDAY, time(9))}
    assert reminder_slot(cal, oslo(2026, 9, 7, 11, 59), SLOTS) == (MONDAY, time(9))
    assert reminder_slot(cal, oslo(2026, 9, 7, 12), SLOTS) is None
    assert reminder_slot(cal, oslo(2026, 9, 7, 13), SLOTS) is None
    # The next day is a whole day again.
    assert reminder_slot(cal, oslo(2026, 9, 8, 13), SLOTS) == (date(2026, 9, 8), time(13))


def test_slot_at_the_closing_minute_never_fires() -> None:
    assert reminder_slot(NO, oslo(2026, 9, 7, 16), (time(16),)) is None
    assert reminder_slot(NO, oslo(2026, 9, 7, 15, 59), (time(16),)) is None


def test_reminder_slot_on_dst_change_monday() -> None:
    # The Monday after summer time starts: 09:00 CEST is 07:00 UTC.
    assert reminder_slot(NO, utc(2026, 3, 30, 7), SLOTS) == (date(2026, 3, 30), time(9))
    assert reminder_slot(NO, utc(2026, 3, 30, 6, 59), SLOTS) is None


# --- escalation_cutoff -------------------------------------------------------------------------


def test_escalation_due_monday_one_day_after() -> None:
    due = oslo(2026, 9, 7, 16)  # Monday
    assert not due <= escalation_cutoff(NO, oslo(2026, 9, 8, 15, 59), 1)
    assert due <= escalation_cutoff(NO, oslo(2026, 9, 8, 16), 1)
    assert due <= escalation_cutoff(NO, oslo(2026, 9, 9, 8), 1)  # Wednesday morning's reminders


def test_escalation_with_no_grace() -> None:
    due = oslo(2026, 9, 7, 16)
    assert not due <= escalation_cutoff(NO, oslo(2026, 9, 7, 15, 59), 0)
    assert due <= escalation_cutoff(NO, oslo(2026, 9, 7, 16), 0)


def test_escalation_cutoff_is_the_end_of_the_local_day() -> None:
    # Wednesday 08:00, n = 1: Tuesday has closed, one working day back is Monday.
    assert escalation_cutoff(NO, oslo(2026, 9, 9, 8), 1) == oslo(2026, 9, 7, 23, 59, 59, 999999)
    # Monday morning, n = 0: the last closed working day is Friday.
    assert escalation_cutoff(NO, oslo(2026, 9, 14, 8), 0) == oslo(2026, 9, 11, 23, 59, 59, 999999)


def test_escalation_over_a_weekend_and_easter() -> None:
    friday = oslo(2026, 9, 11, 16)
    assert not friday <= escalation_cutoff(NO, oslo(2026, 9, 14, 15, 59), 1)
    assert friday <= escalation_cutoff(NO, oslo(2026, 9, 14, 16), 1)
    # Due Wednesday 1 April 2026 in Norway: the next working day is Tuesday 7 April.
    wednesday = oslo(2026, 4, 1, 16)
    assert not wednesday <= escalation_cutoff(NO, oslo(2026, 4, 7, 15, 59), 1)
    assert wednesday <= escalation_cutoff(NO, oslo(2026, 4, 7, 16), 1)


def test_escalation_rejects_negative_n() -> None:
    with pytest.raises(ValueError, match="n must be 0 or more"):
        escalation_cutoff(NO, oslo(2026, 9, 9, 8), -1)


FIRST_DAY, LAST_DAY = date(2026, 1, 1), date(2027, 12, 31)
PROPERTY_CALENDARS = [
    pytest.param(NO, id="NO"),
    pytest.param(SE, id="SE"),
    pytest.param(
        oslo_calendar(
            half_days_recurring={(12, 23): time(12), (4, 1): time(12)},
            closed_recurring={(12, 24), (12, 31)},
            closed_dates=frozenset({date(2026, 5, 15), date(2027, 5, 7)}),
        ),
        id="NO-half-and-closed-days",
    ),
]


@st.composite
def _deadline_now_n(draw: st.DrawFn, cal: WorkCalendar) -> tuple[datetime, datetime, int]:
    """A deadline (a working day's closing), an instant and n; the instant is often near the
    deadline or exactly at the escalation boundary, where mistakes would show."""
    day = draw(st.dates(min_value=FIRST_DAY, max_value=LAST_DAY))
    day = cal.add_working_days(day, 0)
    hours = cal.hours(day)
    assert hours is not None
    deadline = hours[1]
    n = draw(st.integers(min_value=0, max_value=3))
    boundary = deadline if n == 0 else cal.deadline(deadline, n)
    now = draw(
        st.one_of(
            st.datetimes(
                min_value=datetime(2026, 1, 1),
                max_value=datetime(2027, 12, 31, 23, 59, 59),
                timezones=st.just(UTC),
            ),
            st.integers(min_value=-3 * 24 * 3600, max_value=12 * 24 * 3600).map(
                lambda s: deadline + timedelta(seconds=s)
            ),
            st.sampled_from([-1, 0, 1]).map(lambda us: boundary + timedelta(microseconds=us)),
        )
    )
    return deadline, now, n


@pytest.mark.parametrize("cal", PROPERTY_CALENDARS)
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_escalation_cutoff_matches_the_deadline_arithmetic(
    cal: WorkCalendar, data: st.DataObject
) -> None:
    deadline, now, n = data.draw(_deadline_now_n(cal))
    escalated = deadline <= escalation_cutoff(cal, now, n)
    if n == 0:
        assert escalated == (now >= deadline)
    else:
        assert escalated == (now >= cal.deadline(deadline, n))


# --- age_working_days --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cal", "received", "now", "age"),
    [
        pytest.param(NO, oslo(2026, 9, 7, 8), oslo(2026, 9, 7, 23, 59), 0, id="same-day"),
        pytest.param(NO, oslo(2026, 9, 7, 15), oslo(2026, 9, 8, 8), 1, id="next-day"),
        pytest.param(NO, oslo(2026, 9, 7, 23, 59), oslo(2026, 9, 8, 0, 1), 1, id="over-midnight"),
        pytest.param(NO, oslo(2026, 9, 7, 10), oslo(2026, 9, 11, 10), 4, id="monday-to-friday"),
        pytest.param(NO, oslo(2026, 9, 11, 10), oslo(2026, 9, 12, 10), 0, id="friday-to-saturday"),
        pytest.param(NO, oslo(2026, 9, 11, 10), oslo(2026, 9, 14, 9), 1, id="friday-to-monday"),
        pytest.param(NO, oslo(2026, 9, 11, 10), oslo(2026, 9, 15, 9), 2, id="friday-to-tuesday"),
        pytest.param(NO, oslo(2026, 9, 12, 10), oslo(2026, 9, 14, 9), 1, id="saturday-to-monday"),
        pytest.param(NO, oslo(2026, 9, 7, 10), oslo(2026, 9, 14, 10), 5, id="a-week"),
        # Easter 2026: closed Thursday, Friday and Monday in Norway, Friday and Monday in Sweden.
        pytest.param(NO, oslo(2026, 4, 1, 10), oslo(2026, 4, 7, 10), 1, id="NO-easter"),
        pytest.param(SE, sthlm(2026, 4, 1, 10), sthlm(2026, 4, 7, 10), 2, id="SE-easter"),
        pytest.param(NO, oslo(2026, 4, 1, 10), oslo(2026, 4, 6, 10), 0, id="NO-easter-monday"),
        pytest.param(SE, sthlm(2026, 6, 18, 10), sthlm(2026, 6, 22, 10), 1, id="SE-midsummer"),
        pytest.param(NO, oslo(2026, 6, 18, 10), oslo(2026, 6, 22, 10), 2, id="NO-midsummer"),
        pytest.param(NO, oslo(2026, 9, 8, 10), oslo(2026, 9, 7, 10), 0, id="now-before-received"),
        # 22:30 UTC on Thursday is Friday in Oslo: 0 on Friday, 1 on Monday.
        pytest.param(NO, utc(2026, 9, 10, 22, 30), oslo(2026, 9, 11, 15), 0, id="utc-local-day"),
        pytest.param(NO, utc(2026, 9, 10, 22, 30), oslo(2026, 9, 14, 9), 1, id="utc-to-monday"),
    ],
)
def test_age_working_days(cal: WorkCalendar, received: datetime, now: datetime, age: int) -> None:
    assert age_working_days(cal, received, now) == age


# --- percentile --------------------------------------------------------------------------------


def test_percentile_of_nothing_is_none() -> None:
    assert percentile([], 50) is None


@pytest.mark.parametrize("p", [0, 50, 90, 100])
def test_percentile_of_one_value(p: float) -> None:
    assert percentile([7.5], p) == 7.5


def test_percentile_median() -> None:
    assert percentile([4, 1, 3, 2], 50) == pytest.approx(2.5)
    assert percentile([3, 1, 2], 50) == 2


def test_percentile_interpolates() -> None:
    values = [float(v) for v in range(10, 0, -1)]  # 10 .. 1, unsorted on purpose
    assert percentile(values, 90) == pytest.approx(9.1)  # rank 8.1 between 9 and 10
    assert percentile(values, 0) == 1
    assert percentile(values, 100) == 10
    assert percentile([0, 10], 25) == pytest.approx(2.5)


def test_percentile_does_not_change_its_input() -> None:
    values = [3.0, 1.0, 2.0]
    percentile(values, 50)
    assert values == [3.0, 1.0, 2.0]


@pytest.mark.parametrize("p", [-0.1, -1, 100.01, 101])
def test_percentile_bounds(p: float) -> None:
    with pytest.raises(ValueError, match=r"within 0\.\.100"):
        percentile([1, 2, 3], p)


# --- excerpt_of --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("Når åpner biblioteket?", "Når åpner biblioteket?", id="plain"),
        pytest.param(
            "<@U123> spør: når åpner  biblioteket?", "spør: når åpner biblioteket?", id="mention"
        ),
        pytest.param("Se <#C1|x> og <!here> nå", "Se og nå", id="channel-and-special"),
        pytest.param(
            "Innlegg: <https://facebook.com/p/1|lenke> trenger svar",
            "Innlegg: trenger svar",
            id="slack-link",
        ),
        pytest.param("Les <https://kommune.no/a> først", "Les først", id="slack-link-no-label"),
        pytest.param("Les https://kommune.no/a?b=c først", "Les først", id="bare-link"),
        pytest.param("  linje én\n\n\tlinje  to  ", "linje én linje to", id="whitespace"),
    ],
)
def test_excerpt_removes_links_and_mentions(text: str, expected: str) -> None:
    assert excerpt_of(text, 140) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n ",
        "<https://facebook.com/p/1|lenke>",
        "https://facebook.com/p/1",
        "<@U123> <#C1|x>",
    ],
)
def test_excerpt_of_nothing_left_is_none(text: str) -> None:
    assert excerpt_of(text, 140) is None


def test_excerpt_is_cut_at_the_limit() -> None:
    assert excerpt_of("abcdefghij", 10) == "abcdefghij"
    assert excerpt_of("abcdefghijk", 10) == "abcdefghi…"
    assert excerpt_of("abcd efgh ijkl", 6) == "abcd…"  # no space before the ellipsis
    assert excerpt_of("abc", 1) == "…"


@pytest.mark.parametrize("limit", [0, -1])
def test_excerpt_limit_zero_keeps_nothing(limit: int) -> None:
    assert excerpt_of("Når åpner biblioteket?", limit) is None


@given(text=st.text(max_size=300), limit=st.integers(min_value=1, max_value=200))
def test_excerpt_never_exceeds_the_limit(text: str, limit: int) -> None:
    excerpt = excerpt_of(text, limit)
    assert excerpt is None or 0 < len(excerpt) <= limit


# --- first_link --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "link"),
    [
        pytest.param("Se <https://x.no/a|label> nå", "https://x.no/a", id="slack-with-label"),
        pytest.param("<https://x.no/a>", "https://x.no/a", id="slack-without-label"),
        pytest.param("Se https://x.no/b nå", "https://x.no/b", id="bare"),
        pytest.param("<http://x.no/c|c>", "http://x.no/c", id="http"),
        pytest.param(
            "<https://x.no/1|én> og <https://x.no/2|to>", "https://x.no/1", id="first-of-two"
        ),
        pytest.param("https://x.no/1 og <https://x.no/2|to>", "https://x.no/1", id="bare-first"),
        pytest.param("<https://x.no/1|https://x.no/2>", "https://x.no/1", id="link-as-label"),
        pytest.param("<@U123> <#C1|x>", None, id="mentions-only"),
        pytest.param("ingen lenke her", None, id="none"),
        pytest.param("", None, id="empty"),
    ],
)
def test_first_link(text: str, link: str | None) -> None:
    assert first_link(text) == link


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("se https://a.no/x. Takk", "https://a.no/x"),
        ("(https://a.no/y)", "https://a.no/y"),
        (
            "<https://www.facebook.com/p?story_fbid=1&amp;id=2|innlegg>",
            "https://www.facebook.com/p?story_fbid=1&id=2",
        ),
    ],
)
def test_first_link_drops_punctuation_and_slack_escapes(text: str, expected: str) -> None:
    assert first_link(text) == expected


def test_excerpt_leaves_out_mail_and_phone_links_and_unescapes() -> None:
    text = "Ring meg på <tel:+4799999999|99 99 99 99> eller <mailto:ola@x.no|ola@x.no> &amp; svar"
    assert excerpt_of(text, 200) == "Ring meg på […] eller […] & svar"
