"""Tests for the working-day calendar. Every expected date is worked out by hand."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import pytest

from bot.kernel.calendar import CalendarRules, Hours, OfficeClock, Season, WorkCalendar
from bot.kernel.config import parse_config
from tests.harness import CONFIG

OSLO = ZoneInfo("Europe/Oslo")
STOCKHOLM = ZoneInfo("Europe/Stockholm")
CET = timedelta(hours=1)
CEST = timedelta(hours=2)
YEARS = (2026, 2027, 2028)

NO = WorkCalendar(CalendarRules(timezone="Europe/Oslo", country="NO"))
SE = WorkCalendar(CalendarRules(timezone="Europe/Stockholm", country="SE"))
DK = WorkCalendar(CalendarRules(timezone="Europe/Copenhagen", country="DK"))
FI = WorkCalendar(CalendarRules(timezone="Europe/Helsinki", country="FI"))

OFFICE = Hours(time(8), time(16))
MON_FRI = {wd: OFFICE for wd in range(5)}
ALL_WEEK = {wd: OFFICE for wd in range(7)}


def oslo(y: int, m: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0, us: int = 0) -> datetime:
    """An aware Europe/Oslo wall-clock datetime."""
    return datetime(y, m, d, hh, mm, ss, us, tzinfo=OSLO)


def sthlm(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    """An aware Europe/Stockholm wall-clock datetime."""
    return datetime(y, m, d, hh, mm, tzinfo=STOCKHOLM)


def utc(y: int, m: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0, us: int = 0) -> datetime:
    """An aware UTC datetime."""
    return datetime(y, m, d, hh, mm, ss, us, tzinfo=UTC)


def oslo_calendar(**kwargs: Any) -> WorkCalendar:
    """A Norwegian calendar with extra rules."""
    return WorkCalendar(CalendarRules(timezone="Europe/Oslo", country="NO", **kwargs))


class EasterWeek(NamedTuple):
    wednesday: date  # before Maundy Thursday
    maundy_thursday: date
    good_friday: date
    easter_sunday: date
    easter_monday: date
    tuesday: date  # after Easter Monday


EASTER = {
    2026: EasterWeek(
        date(2026, 4, 1),
        date(2026, 4, 2),
        date(2026, 4, 3),
        date(2026, 4, 5),
        date(2026, 4, 6),
        date(2026, 4, 7),
    ),
    2027: EasterWeek(
        date(2027, 3, 24),
        date(2027, 3, 25),
        date(2027, 3, 26),
        date(2027, 3, 28),
        date(2027, 3, 29),
        date(2027, 3, 30),
    ),
    2028: EasterWeek(
        date(2028, 4, 12),
        date(2028, 4, 13),
        date(2028, 4, 14),
        date(2028, 4, 16),
        date(2028, 4, 17),
        date(2028, 4, 18),
    ),
}
EASTER_WEEKS = [pytest.param(EASTER[y], id=str(y)) for y in YEARS]

# An ordinary September week in each year (no holidays in NO or SE): Monday, Wednesday, Friday.
ORDINARY = {
    2026: (date(2026, 9, 7), date(2026, 9, 9), date(2026, 9, 11)),
    2027: (date(2027, 9, 6), date(2027, 9, 8), date(2027, 9, 10)),
    2028: (date(2028, 9, 4), date(2028, 9, 6), date(2028, 9, 8)),
}
ORDINARY_WEEKS = [pytest.param(*ORDINARY[y], id=str(y)) for y in YEARS]


def at(day: date, hh: int = 0, mm: int = 0, tz: ZoneInfo = OSLO) -> datetime:
    """Wall-clock time on day in tz."""
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=tz)


# --- public holidays -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "name"),
    [
        pytest.param(getattr(EASTER[y], field), name, id=f"{y}-{name}")
        for y in YEARS
        for field, name in [
            ("maundy_thursday", "Maundy Thursday"),
            ("good_friday", "Good Friday"),
            ("easter_sunday", "Easter Sunday"),
            ("easter_monday", "Easter Monday"),
        ]
    ],
)
def test_norway_easter_days_are_holidays(day: date, name: str) -> None:
    assert NO.holiday_name(day) == name
    assert not NO.is_working_day(day)
    assert NO.hours(day) is None


@pytest.mark.parametrize("week", EASTER_WEEKS)
def test_sweden_easter_closes_good_friday_and_easter_monday_only(week: EasterWeek) -> None:
    assert SE.holiday_name(week.good_friday) == "Good Friday"
    assert SE.holiday_name(week.easter_monday) == "Easter Monday"
    assert not SE.is_working_day(week.good_friday)
    assert not SE.is_working_day(week.easter_monday)
    # Skärtorsdagen is an ordinary working day in Sweden.
    assert SE.holiday_name(week.maundy_thursday) is None
    assert SE.is_working_day(week.maundy_thursday)
    assert SE.hours(week.maundy_thursday) == (
        at(week.maundy_thursday, 8, tz=STOCKHOLM),
        at(week.maundy_thursday, 16, tz=STOCKHOLM),
    )


@pytest.mark.parametrize("cal", [NO, SE], ids=["NO", "SE"])
@pytest.mark.parametrize("day", [date(2026, 5, 14), date(2027, 5, 6), date(2028, 5, 25)])
def test_ascension_day(cal: WorkCalendar, day: date) -> None:
    assert cal.holiday_name(day) == "Ascension Day"
    assert not cal.is_working_day(day)


@pytest.mark.parametrize("day", [date(2026, 5, 25), date(2027, 5, 17), date(2028, 6, 5)])
def test_whit_monday_norway_only(day: date) -> None:
    name = NO.holiday_name(day)
    assert name is not None
    assert "Pentecost Monday" in name  # 2027: shares the day with 17 May
    assert not NO.is_working_day(day)
    assert SE.holiday_name(day) is None
    assert SE.is_working_day(day)


@pytest.mark.parametrize(
    "day",
    [
        pytest.param(date(2026, 5, 17), id="2026-sunday"),
        pytest.param(date(2027, 5, 17), id="2027-monday"),
        pytest.param(date(2028, 5, 17), id="2028-wednesday"),
    ],
)
def test_norway_constitution_day(day: date) -> None:
    name = NO.holiday_name(day)
    assert name is not None
    assert "Constitution Day" in name
    assert not NO.is_working_day(day)


def test_17_may_is_a_working_day_in_sweden() -> None:
    assert SE.is_working_day(date(2028, 5, 17))


@pytest.mark.parametrize(
    "day",
    [
        pytest.param(date(2026, 6, 6), id="2026-saturday"),
        pytest.param(date(2027, 6, 6), id="2027-sunday"),
        pytest.param(date(2028, 6, 6), id="2028-tuesday"),
    ],
)
def test_sweden_national_day(day: date) -> None:
    assert SE.holiday_name(day) == "National Day"
    assert not SE.is_working_day(day)
    assert NO.holiday_name(day) is None


def test_national_day_tuesday_is_working_in_norway() -> None:
    assert NO.is_working_day(date(2028, 6, 6))


@pytest.mark.parametrize("day", [date(2026, 6, 19), date(2027, 6, 25), date(2028, 6, 23)])
def test_midsummer_eve_closed_in_sweden_working_in_norway(day: date) -> None:
    assert SE.holiday_name(day) == "Midsummer Eve"  # de_facto category
    assert not SE.is_working_day(day)
    assert NO.holiday_name(day) is None
    assert NO.is_working_day(day)


@pytest.mark.parametrize("day", [date(2026, 6, 20), date(2027, 6, 26), date(2028, 6, 24)])
def test_midsummer_day_sweden(day: date) -> None:
    assert SE.holiday_name(day) == "Midsummer Day"


@pytest.mark.parametrize(
    ("day", "working_in_norway"),
    [
        pytest.param(date(2026, 12, 24), True, id="2026-thursday"),
        pytest.param(date(2027, 12, 24), True, id="2027-friday"),
        pytest.param(date(2028, 12, 24), False, id="2028-sunday"),
    ],
)
def test_christmas_eve(day: date, working_in_norway: bool) -> None:
    assert SE.holiday_name(day) == "Christmas Eve"
    assert not SE.is_working_day(day)
    # Not a public holiday in Norway: open unless the organisation closes it.
    assert NO.holiday_name(day) is None
    assert NO.is_working_day(day) is working_in_norway
    closes_christmas_eve = oslo_calendar(closed_recurring=frozenset({(12, 24)}))
    assert not closes_christmas_eve.is_working_day(day)
    assert closes_christmas_eve.holiday_name(day) is None


@pytest.mark.parametrize("cal", [NO, SE], ids=["NO", "SE"])
@pytest.mark.parametrize("year", YEARS)
def test_christmas_days(cal: WorkCalendar, year: int) -> None:
    assert cal.holiday_name(date(year, 12, 25)) == "Christmas Day"
    assert cal.holiday_name(date(year, 12, 26)) == "Second Day of Christmas"
    assert not cal.is_working_day(date(year, 12, 25))
    assert not cal.is_working_day(date(year, 12, 26))


@pytest.mark.parametrize(
    ("day", "working_in_norway"),
    [
        pytest.param(date(2026, 12, 31), True, id="2026-thursday"),
        pytest.param(date(2027, 12, 31), True, id="2027-friday"),
        pytest.param(date(2028, 12, 31), False, id="2028-sunday"),
    ],
)
def test_new_years_eve(day: date, working_in_norway: bool) -> None:
    assert SE.holiday_name(day) == "New Year's Eve"
    assert not SE.is_working_day(day)
    assert NO.holiday_name(day) is None
    assert NO.is_working_day(day) is working_in_norway


@pytest.mark.parametrize("cal", [NO, SE], ids=["NO", "SE"])
@pytest.mark.parametrize("day", [date(2026, 1, 1), date(2027, 1, 1), date(2028, 1, 1)])
def test_new_years_day(cal: WorkCalendar, day: date) -> None:
    assert cal.holiday_name(day) == "New Year's Day"
    assert not cal.is_working_day(day)


@pytest.mark.parametrize("day", [date(2026, 1, 6), date(2027, 1, 6), date(2028, 1, 6)])
def test_epiphany_sweden_only(day: date) -> None:
    assert SE.holiday_name(day) == "Epiphany"
    assert NO.holiday_name(day) is None
    assert NO.is_working_day(day)


@pytest.mark.parametrize("cal", [NO, SE], ids=["NO", "SE"])
@pytest.mark.parametrize(
    "day",
    [
        pytest.param(date(2026, 1, 4), id="2026-sunday"),
        pytest.param(date(2027, 1, 3), id="2027-sunday"),
        pytest.param(date(2028, 1, 2), id="2028-sunday"),
        pytest.param(date(2026, 9, 12), id="2026-saturday"),
        pytest.param(date(2028, 9, 10), id="2028-sunday-september"),
    ],
)
def test_ordinary_weekend_is_closed_but_not_a_holiday(cal: WorkCalendar, day: date) -> None:
    assert cal.holiday_name(day) is None
    assert not cal.is_working_day(day)
    assert cal.hours(day) is None


@pytest.mark.parametrize(
    ("day", "name", "working"),
    [
        pytest.param(date(2026, 4, 2), "Maundy Thursday", False, id="maundy-thursday"),
        pytest.param(date(2026, 12, 24), "Christmas Eve", False, id="christmas-eve"),
        pytest.param(date(2027, 12, 31), "New Year's Eve", False, id="new-years-eve"),
        pytest.param(date(2026, 6, 5), None, True, id="constitution-day-half-day-only"),
        pytest.param(date(2026, 5, 1), None, True, id="may-day-half-day-only"),
    ],
)
def test_denmark(day: date, name: str | None, working: bool) -> None:
    assert DK.holiday_name(day) == name
    assert DK.is_working_day(day) is working


@pytest.mark.parametrize(
    ("day", "name", "working"),
    [
        pytest.param(date(2026, 6, 19), "Midsummer Eve", False, id="midsummer-eve"),
        pytest.param(date(2026, 12, 24), "Christmas Eve", False, id="christmas-eve"),
        pytest.param(date(2028, 12, 6), "Independence Day", False, id="independence-day"),
        pytest.param(date(2026, 1, 6), "Epiphany", False, id="epiphany"),
        pytest.param(date(2028, 2, 28), None, True, id="kalevala-flag-day"),
        pytest.param(date(2026, 12, 31), None, True, id="new-years-eve"),
    ],
)
def test_finland(day: date, name: str | None, working: bool) -> None:
    assert FI.holiday_name(day) == name
    assert FI.is_working_day(day) is working


# --- deadlines -------------------------------------------------------------------------------


@pytest.mark.parametrize("week", EASTER_WEEKS)
def test_norway_deadline_before_easter_is_tuesday_after(week: EasterWeek) -> None:
    expected = at(week.tuesday, 16)
    assert NO.deadline(at(week.wednesday, 10)) == expected
    assert NO.deadline(at(week.wednesday, 23, 59)) == expected
    assert NO.deadline(at(week.maundy_thursday, 10)) == expected
    assert NO.deadline(at(week.good_friday, 10)) == expected
    assert expected.utcoffset() == CEST


@pytest.mark.parametrize("week", EASTER_WEEKS)
def test_sweden_deadline_before_easter(week: EasterWeek) -> None:
    assert SE.deadline(at(week.wednesday, 10, tz=STOCKHOLM)) == at(
        week.maundy_thursday, 16, tz=STOCKHOLM
    )
    assert SE.deadline(at(week.maundy_thursday, 10, tz=STOCKHOLM)) == at(
        week.tuesday, 16, tz=STOCKHOLM
    )


@pytest.mark.parametrize(("monday", "wednesday", "friday"), ORDINARY_WEEKS)
@pytest.mark.parametrize("cal", [NO, SE], ids=["NO", "SE"])
def test_friday_afternoon_and_weekend_questions_are_due_monday(
    cal: WorkCalendar, monday: date, wednesday: date, friday: date
) -> None:
    next_monday = friday + timedelta(days=3)
    expected = at(next_monday, 16, tz=cal.tz)
    for asked in [
        at(friday, 16, tz=cal.tz),
        at(friday, 23, 59, tz=cal.tz),
        at(friday + timedelta(days=1), 10, tz=cal.tz),
        at(friday + timedelta(days=2), 22, tz=cal.tz),
    ]:
        assert cal.deadline(asked) == expected
    assert cal.deadline(at(wednesday, 9, tz=cal.tz)) == at(
        wednesday + timedelta(days=1), 16, tz=cal.tz
    )


@pytest.mark.parametrize(
    ("asked", "due"),
    [
        # Labour Day 2026 is a Friday.
        pytest.param(oslo(2026, 4, 30, 12), oslo(2026, 5, 4, 16), id="2026-labour-day-friday"),
        # Christmas Day 2026 is a Friday, Boxing Day a Saturday.
        pytest.param(oslo(2026, 12, 24, 12), oslo(2026, 12, 28, 16), id="2026-christmas-friday"),
        # Ascension Thursday 2027: the Friday after is open.
        pytest.param(oslo(2027, 5, 5, 12), oslo(2027, 5, 7, 16), id="2027-ascension"),
        # Labour Day 2028 is a Monday.
        pytest.param(oslo(2028, 4, 28, 12), oslo(2028, 5, 2, 16), id="2028-labour-day-monday"),
    ],
)
def test_norway_deadline_around_single_holidays(asked: datetime, due: datetime) -> None:
    assert NO.deadline(asked) == due


@pytest.mark.parametrize(("monday", "wednesday", "friday"), ORDINARY_WEEKS)
def test_deadline_n(monday: date, wednesday: date, friday: date) -> None:
    assert NO.deadline(at(friday, 10), n=2) == at(friday + timedelta(days=4), 16)
    assert NO.deadline(at(monday, 10), n=5) == at(monday + timedelta(days=7), 16)
    # n=0: today's closing if today is a working day, else the next working day's.
    assert NO.deadline(at(wednesday, 10), n=0) == at(wednesday, 16)
    assert NO.deadline(at(friday + timedelta(days=1), 10), n=0) == at(
        friday + timedelta(days=3), 16
    )
    with pytest.raises(ValueError):
        NO.deadline(at(wednesday, 10), n=-1)


def test_deadline_uses_the_local_date_not_the_utc_date() -> None:
    # 22:30 UTC on Thursday is 00:30 on Friday in Oslo (CEST): due Monday, not Friday.
    assert NO.deadline(utc(2026, 9, 10, 22, 30)) == oslo(2026, 9, 14, 16)
    # 23:30 UTC on Friday is already Saturday in Oslo.
    assert NO.deadline(utc(2026, 9, 11, 23, 30)) == oslo(2026, 9, 14, 16)
    # 21:30 UTC on Thursday is still Thursday in Oslo: due Friday.
    assert NO.deadline(utc(2026, 9, 10, 21, 30)) == oslo(2026, 9, 11, 16)


def test_deadline_on_a_half_day_is_the_early_closing() -> None:
    cal = oslo_calendar(half_days_recurring={(12, 23): time(12)})
    assert cal.deadline(oslo(2026, 12, 22, 9)) == oslo(2026, 12, 23, 12)


def test_returned_datetimes_are_in_the_organisation_zone() -> None:
    due = NO.deadline(utc(2026, 9, 9, 12))
    assert isinstance(due.tzinfo, ZoneInfo)
    assert due.tzinfo.key == "Europe/Oslo"
    span = SE.hours(date(2026, 9, 9))
    assert span is not None
    assert all(isinstance(dt.tzinfo, ZoneInfo) for dt in span)
    assert {dt.tzinfo.key for dt in span if isinstance(dt.tzinfo, ZoneInfo)} == {"Europe/Stockholm"}
    opening = NO.next_opening(utc(2026, 9, 9, 20))
    assert isinstance(opening.tzinfo, ZoneInfo)
    assert opening.tzinfo.key == "Europe/Oslo"


# --- daylight saving time --------------------------------------------------------------------

# The last working day before and the first after each DST weekend in Norway. In 2027 summer
# time starts on Easter Sunday, so the gap runs from the Wednesday to the Tuesday.
DST_CHANGES = [
    pytest.param(date(2026, 3, 27), date(2026, 3, 30), CET, CEST, id="2026-spring"),
    pytest.param(date(2026, 10, 23), date(2026, 10, 26), CEST, CET, id="2026-autumn"),
    pytest.param(date(2027, 3, 24), date(2027, 3, 30), CET, CEST, id="2027-spring-easter"),
    pytest.param(date(2027, 10, 29), date(2027, 11, 1), CEST, CET, id="2027-autumn"),
    pytest.param(date(2028, 3, 24), date(2028, 3, 27), CET, CEST, id="2028-spring"),
    pytest.param(date(2028, 10, 27), date(2028, 10, 30), CEST, CET, id="2028-autumn"),
]


@pytest.mark.parametrize(("before", "after", "offset_before", "offset_after"), DST_CHANGES)
def test_hours_offsets_around_dst(
    before: date, after: date, offset_before: timedelta, offset_after: timedelta
) -> None:
    before_span = NO.hours(before)
    after_span = NO.hours(after)
    assert before_span == (at(before, 8), at(before, 16))
    assert after_span == (at(after, 8), at(after, 16))
    assert before_span[0].utcoffset() == before_span[1].utcoffset() == offset_before
    assert after_span[0].utcoffset() == after_span[1].utcoffset() == offset_after
    # 08:00 local is 07:00 UTC in winter and 06:00 UTC in summer.
    assert before_span[0].astimezone(UTC).hour == 8 - offset_before.seconds // 3600
    assert after_span[0].astimezone(UTC).hour == 8 - offset_after.seconds // 3600


def test_dst_utc_instants_spelled_out() -> None:
    assert NO.hours(date(2026, 3, 27)) == (utc(2026, 3, 27, 7), utc(2026, 3, 27, 15))
    assert NO.hours(date(2026, 3, 30)) == (utc(2026, 3, 30, 6), utc(2026, 3, 30, 14))
    assert NO.hours(date(2026, 10, 23)) == (utc(2026, 10, 23, 6), utc(2026, 10, 23, 14))
    assert NO.hours(date(2026, 10, 26)) == (utc(2026, 10, 26, 7), utc(2026, 10, 26, 15))
    assert SE.hours(date(2026, 3, 30)) == (utc(2026, 3, 30, 6), utc(2026, 3, 30, 14))


@pytest.mark.parametrize(("before", "after", "offset_before", "offset_after"), DST_CHANGES)
def test_deadline_and_next_opening_across_dst(
    before: date, after: date, offset_before: timedelta, offset_after: timedelta
) -> None:
    due = NO.deadline(at(before, 15))
    assert due == at(after, 16)
    assert due.utcoffset() == offset_after
    opening = NO.next_opening(at(before, 16))
    assert opening == at(after, 8)
    assert opening.utcoffset() == offset_after


@pytest.mark.parametrize(("before", "after", "offset_before", "offset_after"), DST_CHANGES)
def test_working_time_across_dst(
    before: date, after: date, offset_before: timedelta, offset_after: timedelta
) -> None:
    # Four office hours on each side; the lost or gained night hour is not office time.
    assert NO.working_time_between(at(before, 12), at(after, 12)) == timedelta(hours=8)
    assert NO.working_time_between(at(before, 8), at(after, 16)) == timedelta(hours=16)
    assert NO.working_time_between(
        at(before, 12).astimezone(UTC), at(after, 12).astimezone(UTC)
    ) == timedelta(hours=8)


@pytest.mark.parametrize(
    ("sunday", "expected"),
    [
        # The clock jumps 02:00 -> 03:00: 00:00-23:00 lasts 22 real hours.
        pytest.param(date(2026, 3, 29), timedelta(hours=22), id="2026-spring"),
        # The clock falls back 03:00 -> 02:00: 00:00-23:00 lasts 24 real hours.
        pytest.param(date(2026, 10, 25), timedelta(hours=24), id="2026-autumn"),
        # Easter Sunday: closed whatever the hours say.
        pytest.param(date(2027, 3, 28), timedelta(0), id="2027-spring-easter-sunday"),
        pytest.param(date(2027, 10, 31), timedelta(hours=24), id="2027-autumn"),
        pytest.param(date(2028, 3, 26), timedelta(hours=22), id="2028-spring"),
        pytest.param(date(2028, 10, 29), timedelta(hours=24), id="2028-autumn"),
    ],
)
def test_working_time_on_a_dst_sunday_counts_real_time(sunday: date, expected: timedelta) -> None:
    cal = oslo_calendar(week={6: Hours(time(0), time(23))})
    whole_day = (at(sunday), at(sunday + timedelta(days=1)))
    assert cal.working_time_between(*whole_day) == expected


def test_local_date_across_midnight_and_dst() -> None:
    assert NO.local_date(utc(2026, 3, 28, 23, 30)) == date(2026, 3, 29)  # 00:30 CET
    assert NO.local_date(utc(2026, 3, 28, 22, 59)) == date(2026, 3, 28)  # 23:59 CET
    assert NO.local_date(utc(2026, 10, 24, 22, 30)) == date(2026, 10, 25)  # 00:30 CEST
    assert NO.local_date(utc(2026, 6, 30, 21, 59)) == date(2026, 6, 30)  # 23:59 CEST
    assert NO.local_date(utc(2026, 6, 30, 22, 0)) == date(2026, 7, 1)  # 00:00 CEST
    new_york = datetime(2026, 6, 30, 18, 0, tzinfo=ZoneInfo("America/New_York"))
    assert NO.local_date(new_york) == date(2026, 7, 1)  # 00:00 CEST


# --- seasons ---------------------------------------------------------------------------------

SUMMER = Season(
    name="summer",
    start=(6, 15),
    end=(8, 15),
    week={wd: Hours(time(8), time(15)) for wd in range(5)},
)


@pytest.mark.parametrize(
    ("in_season", "outside"),
    [
        pytest.param(date(2026, 7, 1), date(2026, 9, 9), id="2026"),
        pytest.param(date(2027, 7, 1), date(2027, 9, 8), id="2027"),
        pytest.param(date(2028, 7, 3), date(2028, 9, 6), id="2028"),
    ],
)
def test_summer_hours(in_season: date, outside: date) -> None:
    cal = oslo_calendar(seasons=(SUMMER,))
    assert cal.hours(in_season) == (at(in_season, 8), at(in_season, 15))
    assert cal.hours(outside) == (at(outside, 8), at(outside, 16))
    assert cal.is_open(at(in_season, 14, 59))
    assert not cal.is_open(at(in_season, 15))
    assert cal.deadline(at(in_season - timedelta(days=1), 10)).time() == time(15)


@pytest.mark.parametrize("year", YEARS)
@pytest.mark.parametrize(
    ("month", "day", "closes"),
    [
        pytest.param(6, 14, 16, id="day-before-start"),
        pytest.param(6, 15, 15, id="start-inclusive"),
        pytest.param(8, 15, 15, id="end-inclusive"),
        pytest.param(8, 16, 16, id="day-after-end"),
    ],
)
def test_season_boundaries_are_inclusive(year: int, month: int, day: int, closes: int) -> None:
    # Open every day of the week so the boundaries never fall on a closed weekend.
    summer = Season("summer", (6, 15), (8, 15), {wd: Hours(time(8), time(15)) for wd in range(7)})
    cal = oslo_calendar(week=ALL_WEEK, seasons=(summer,))
    d = date(year, month, day)
    assert cal.hours(d) == (at(d, 8), at(d, closes))


@pytest.mark.parametrize(
    "friday",
    [date(2026, 7, 3), date(2027, 7, 2), date(2028, 7, 7)],
)
def test_weekday_missing_from_season_is_closed(friday: date) -> None:
    no_summer_fridays = Season("summer", (6, 15), (8, 15), {wd: OFFICE for wd in range(4)})
    cal = oslo_calendar(seasons=(no_summer_fridays,))
    assert not cal.is_working_day(friday)
    assert cal.holiday_name(friday) is None
    assert cal.deadline(at(friday - timedelta(days=1), 10)) == at(friday + timedelta(days=3), 16)


WINTER = Season("winter", (12, 1), (2, 28), {wd: Hours(time(9), time(15)) for wd in range(7)})


@pytest.mark.parametrize(
    ("day", "opens", "closes"),
    [
        pytest.param(date(2026, 11, 30), 8, 16, id="2026-11-30-before"),
        pytest.param(date(2026, 12, 1), 9, 15, id="2026-12-01-start"),
        pytest.param(date(2027, 1, 15), 9, 15, id="2027-01-15-inside"),
        pytest.param(date(2027, 2, 28), 9, 15, id="2027-02-28-end"),
        pytest.param(date(2027, 3, 1), 8, 16, id="2027-03-01-after"),
        pytest.param(date(2027, 11, 30), 8, 16, id="2027-11-30-before"),
        pytest.param(date(2027, 12, 31), 9, 15, id="2027-12-31-inside"),
        pytest.param(date(2028, 1, 3), 9, 15, id="2028-01-03-inside"),
        pytest.param(date(2028, 2, 28), 9, 15, id="2028-02-28-end"),
        pytest.param(date(2028, 2, 29), 8, 16, id="2028-02-29-leap-day-after-end"),
        pytest.param(date(2028, 12, 1), 9, 15, id="2028-12-01-start"),
    ],
)
def test_season_wrapping_the_new_year(day: date, opens: int, closes: int) -> None:
    cal = oslo_calendar(week=ALL_WEEK, seasons=(WINTER,))
    assert cal.hours(day) == (at(day, opens), at(day, closes))


def test_first_matching_season_wins() -> None:
    july = Season("july", (7, 1), (7, 31), {wd: Hours(time(10), time(14)) for wd in range(5)})
    cal = oslo_calendar(seasons=(july, SUMMER))
    assert cal.hours(date(2026, 7, 1)) == (oslo(2026, 7, 1, 10), oslo(2026, 7, 1, 14))
    assert cal.hours(date(2026, 8, 3)) == (oslo(2026, 8, 3, 8), oslo(2026, 8, 3, 15))


def test_season_does_not_reopen_a_holiday() -> None:
    christmas = Season("christmas", (12, 20), (12, 31), ALL_WEEK)
    cal = oslo_calendar(seasons=(christmas,))
    assert cal.hours(date(2026, 12, 25)) is None
    assert cal.hours(date(2026, 12, 27)) == (oslo(2026, 12, 27, 8), oslo(2026, 12, 27, 16))


# --- half days and closed days ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        pytest.param(date(2026, 12, 23), (12, 0), id="2026-wednesday"),
        pytest.param(date(2027, 12, 23), (12, 0), id="2027-thursday"),
        pytest.param(date(2028, 12, 23), None, id="2028-saturday"),
    ],
)
def test_recurring_half_day(day: date, expected: tuple[int, int] | None) -> None:
    cal = oslo_calendar(half_days_recurring={(12, 23): time(12)})
    if expected is None:
        assert cal.hours(day) is None
    else:
        assert cal.hours(day) == (at(day, 8), at(day, *expected))
        assert cal.is_open(at(day, 11, 59))
        assert not cal.is_open(at(day, 12))


def test_half_day_on_a_fixed_date() -> None:
    cal = oslo_calendar(half_days_dates={date(2026, 4, 30): time(13, 30)})
    assert cal.hours(date(2026, 4, 30)) == (oslo(2026, 4, 30, 8), oslo(2026, 4, 30, 13, 30))
    assert cal.hours(date(2027, 4, 30)) == (oslo(2027, 4, 30, 8), oslo(2027, 4, 30, 16))


def test_fixed_half_day_beats_recurring() -> None:
    cal = oslo_calendar(
        half_days_recurring={(12, 23): time(12)}, half_days_dates={date(2026, 12, 23): time(14)}
    )
    assert cal.hours(date(2026, 12, 23)) == (oslo(2026, 12, 23, 8), oslo(2026, 12, 23, 14))
    assert cal.hours(date(2027, 12, 23)) == (oslo(2027, 12, 23, 8), oslo(2027, 12, 23, 12))


@pytest.mark.parametrize("early", [time(7), time(8)], ids=["before-opening", "at-opening"])
def test_half_day_at_or_before_opening_closes_the_day(early: time) -> None:
    cal = oslo_calendar(half_days_recurring={(12, 23): early})
    assert cal.hours(date(2026, 12, 23)) is None
    assert not cal.is_working_day(date(2026, 12, 23))
    # 24 December 2026 is a Thursday and not a public holiday in Norway.
    assert cal.next_working_day(date(2026, 12, 22)) == date(2026, 12, 24)


def test_half_day_never_extends_the_day() -> None:
    cal = oslo_calendar(half_days_dates={date(2026, 12, 23): time(18)})
    assert cal.hours(date(2026, 12, 23)) == (oslo(2026, 12, 23, 8), oslo(2026, 12, 23, 16))


def test_half_day_inside_a_season() -> None:
    cal = oslo_calendar(seasons=(SUMMER,), half_days_dates={date(2026, 7, 1): time(12)})
    assert cal.hours(date(2026, 7, 1)) == (oslo(2026, 7, 1, 8), oslo(2026, 7, 1, 12))


def test_half_day_on_a_holiday_stays_closed() -> None:
    cal = oslo_calendar(half_days_recurring={(12, 25): time(12)})
    assert cal.hours(date(2026, 12, 25)) is None


@pytest.mark.parametrize(
    ("wednesday", "squeeze_friday", "monday"),
    [
        pytest.param(date(2026, 5, 13), date(2026, 5, 15), date(2026, 5, 18), id="2026"),
        pytest.param(date(2027, 5, 5), date(2027, 5, 7), date(2027, 5, 10), id="2027"),
        pytest.param(date(2028, 5, 24), date(2028, 5, 26), date(2028, 5, 29), id="2028"),
    ],
)
def test_closed_date_after_ascension(wednesday: date, squeeze_friday: date, monday: date) -> None:
    cal = oslo_calendar(closed_dates=frozenset({squeeze_friday}))
    assert not cal.is_working_day(squeeze_friday)
    assert cal.hours(squeeze_friday) is None
    assert cal.holiday_name(squeeze_friday) is None
    assert NO.is_working_day(squeeze_friday)
    assert cal.deadline(at(wednesday, 10)) == at(monday, 16)
    assert NO.deadline(at(wednesday, 10)) == at(squeeze_friday, 16)


def test_closed_date_inside_a_season() -> None:
    cal = oslo_calendar(seasons=(SUMMER,), closed_dates=frozenset({date(2026, 7, 1)}))
    assert cal.hours(date(2026, 7, 1)) is None


# --- is_open, next_opening, open_at_or_after -------------------------------------------------


@pytest.mark.parametrize(("monday", "wednesday", "friday"), ORDINARY_WEEKS)
@pytest.mark.parametrize(
    ("clock", "expected"),
    [
        pytest.param((0, 0, 0, 0), False, id="midnight"),
        pytest.param((7, 59, 59, 999999), False, id="just-before-opening"),
        pytest.param((8, 0, 0, 0), True, id="opening-inclusive"),
        pytest.param((12, 0, 0, 0), True, id="noon"),
        pytest.param((15, 59, 59, 999999), True, id="just-before-closing"),
        pytest.param((16, 0, 0, 0), False, id="closing-exclusive"),
        pytest.param((23, 0, 0, 0), False, id="evening"),
    ],
)
def test_is_open_boundaries(
    monday: date, wednesday: date, friday: date, clock: tuple[int, int, int, int], expected: bool
) -> None:
    instant = oslo(wednesday.year, wednesday.month, wednesday.day, *clock)
    assert NO.is_open(instant) is expected
    assert NO.is_open(instant.astimezone(UTC)) is expected


def test_is_open_with_utc_instants_in_summer_time() -> None:
    assert not NO.is_open(utc(2026, 9, 9, 5, 59))
    assert NO.is_open(utc(2026, 9, 9, 6, 0))  # 08:00 CEST
    assert NO.is_open(utc(2026, 9, 9, 13, 59))
    assert not NO.is_open(utc(2026, 9, 9, 14, 0))  # 16:00 CEST
    assert NO.is_open(utc(2026, 12, 2, 7, 0))  # 08:00 CET
    assert not NO.is_open(utc(2026, 12, 2, 6, 59))


@pytest.mark.parametrize("week", EASTER_WEEKS)
def test_is_open_on_holidays_and_weekends(week: EasterWeek) -> None:
    assert not NO.is_open(at(week.maundy_thursday, 10))
    assert SE.is_open(at(week.maundy_thursday, 10, tz=STOCKHOLM))
    assert not SE.is_open(at(week.good_friday, 10, tz=STOCKHOLM))
    assert not NO.is_open(at(week.good_friday + timedelta(days=1), 10))


@pytest.mark.parametrize(("monday", "wednesday", "friday"), ORDINARY_WEEKS)
def test_next_opening_over_a_weekend(monday: date, wednesday: date, friday: date) -> None:
    next_monday = at(friday + timedelta(days=3), 8)
    assert NO.next_opening(at(friday, 17)) == next_monday
    assert NO.next_opening(at(friday, 8)) == next_monday  # strictly after: not Friday again
    assert NO.next_opening(at(friday, 12)) == next_monday
    assert NO.next_opening(at(friday, 7, 59)) == at(friday, 8)
    assert NO.next_opening(at(friday + timedelta(days=1), 12)) == next_monday
    assert NO.next_opening(at(wednesday, 12)) == at(wednesday + timedelta(days=1), 8)
    assert NO.next_opening(at(friday, 7, 59).astimezone(UTC)) == at(friday, 8)


@pytest.mark.parametrize("week", EASTER_WEEKS)
def test_next_opening_over_easter(week: EasterWeek) -> None:
    assert NO.next_opening(at(week.wednesday, 16)) == at(week.tuesday, 8)
    assert NO.next_opening(at(week.good_friday, 3)) == at(week.tuesday, 8)
    assert SE.next_opening(at(week.wednesday, 16, tz=STOCKHOLM)) == at(
        week.maundy_thursday, 8, tz=STOCKHOLM
    )
    assert SE.next_opening(at(week.maundy_thursday, 16, tz=STOCKHOLM)) == at(
        week.tuesday, 8, tz=STOCKHOLM
    )


def test_next_opening_over_swedish_christmas() -> None:
    # 24 Dec 2026 (Thu, de facto), 25 Dec (Fri), 26 Dec (Sat), 27 Dec (Sun).
    assert SE.next_opening(sthlm(2026, 12, 23, 16)) == sthlm(2026, 12, 28, 8)


def test_next_opening_can_be_months_away() -> None:
    summer_only = Season("summer", (6, 15), (8, 15), MON_FRI)
    cal = oslo_calendar(week={}, seasons=(summer_only,))
    assert cal.next_opening(oslo(2026, 9, 1, 12)) == oslo(2027, 6, 15, 8)
    assert cal.next_working_day(date(2026, 9, 1)) == date(2027, 6, 15)
    assert cal.previous_working_day(date(2027, 6, 1)) == date(2026, 8, 14)


@pytest.mark.parametrize(("monday", "wednesday", "friday"), ORDINARY_WEEKS)
def test_open_at_or_after(monday: date, wednesday: date, friday: date) -> None:
    open_instant = at(wednesday, 10, 15).astimezone(UTC)
    result = NO.open_at_or_after(open_instant)
    assert result == open_instant
    assert isinstance(result.tzinfo, ZoneInfo)
    assert result.tzinfo.key == "Europe/Oslo"
    assert NO.open_at_or_after(at(wednesday, 8)) == at(wednesday, 8)
    assert NO.open_at_or_after(at(wednesday, 16)) == at(wednesday + timedelta(days=1), 8)
    assert NO.open_at_or_after(at(friday, 18)) == at(friday + timedelta(days=3), 8)


# --- working-day arithmetic ------------------------------------------------------------------

# The week after Easter: Tuesday to Friday, then Monday, all working days in Norway.
AFTER_EASTER = {
    2026: [
        date(2026, 4, 7),
        date(2026, 4, 8),
        date(2026, 4, 9),
        date(2026, 4, 10),
        date(2026, 4, 13),
    ],
    2027: [
        date(2027, 3, 30),
        date(2027, 3, 31),
        date(2027, 4, 1),
        date(2027, 4, 2),
        date(2027, 4, 5),
    ],
    2028: [
        date(2028, 4, 18),
        date(2028, 4, 19),
        date(2028, 4, 20),
        date(2028, 4, 21),
        date(2028, 4, 24),
    ],
}


@pytest.mark.parametrize("year", YEARS)
@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
def test_add_working_days_over_easter(year: int, n: int) -> None:
    assert NO.add_working_days(EASTER[year].wednesday, n) == AFTER_EASTER[year][n - 1]


@pytest.mark.parametrize("week", EASTER_WEEKS)
def test_add_working_days_zero(week: EasterWeek) -> None:
    assert NO.add_working_days(week.wednesday, 0) == week.wednesday
    assert NO.add_working_days(week.maundy_thursday, 0) == week.tuesday
    assert SE.add_working_days(week.maundy_thursday, 0) == week.maundy_thursday


@pytest.mark.parametrize(("monday", "wednesday", "friday"), ORDINARY_WEEKS)
def test_add_working_days_ordinary_week(monday: date, wednesday: date, friday: date) -> None:
    assert NO.add_working_days(friday, 1) == friday + timedelta(days=3)
    assert NO.add_working_days(friday, 5) == friday + timedelta(days=7)
    assert NO.add_working_days(friday + timedelta(days=1), 0) == friday + timedelta(days=3)
    assert NO.add_working_days(monday, 4) == friday


@pytest.mark.parametrize("n", [-1, -5])
def test_add_working_days_negative_is_an_error(n: int) -> None:
    with pytest.raises(ValueError):
        NO.add_working_days(date(2026, 9, 9), n)


@pytest.mark.parametrize("week", EASTER_WEEKS)
def test_next_and_previous_working_day(week: EasterWeek) -> None:
    assert NO.next_working_day(week.wednesday) == week.tuesday
    assert NO.previous_working_day(week.tuesday) == week.wednesday
    assert SE.next_working_day(week.wednesday) == week.maundy_thursday
    assert SE.previous_working_day(week.tuesday) == week.maundy_thursday
    # Strictly after / before, even on a working day.
    assert NO.next_working_day(week.tuesday) == week.tuesday + timedelta(days=1)
    assert NO.previous_working_day(week.wednesday) == week.wednesday - timedelta(days=1)


def test_next_working_day_over_the_new_year() -> None:
    # Norway: 31 Dec 2027 (Fri) is open; 1 Jan 2028 is a Saturday.
    assert NO.next_working_day(date(2027, 12, 30)) == date(2027, 12, 31)
    assert NO.next_working_day(date(2027, 12, 31)) == date(2028, 1, 3)
    # Sweden: 31 Dec 2026 (Thu) de facto closed, 1 Jan 2027 a Friday.
    assert SE.next_working_day(date(2026, 12, 30)) == date(2027, 1, 4)
    assert SE.previous_working_day(date(2027, 1, 4)) == date(2026, 12, 30)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        pytest.param(
            date(2026, 3, 30),
            date(2026, 4, 7),
            [date(2026, 3, 30), date(2026, 3, 31), date(2026, 4, 1), date(2026, 4, 7)],
            id="2026-easter",
        ),
        pytest.param(
            date(2027, 3, 22),
            date(2027, 3, 30),
            [date(2027, 3, 22), date(2027, 3, 23), date(2027, 3, 24), date(2027, 3, 30)],
            id="2027-easter",
        ),
        pytest.param(
            date(2028, 4, 10),
            date(2028, 4, 18),
            [date(2028, 4, 10), date(2028, 4, 11), date(2028, 4, 12), date(2028, 4, 18)],
            id="2028-easter",
        ),
        pytest.param(date(2026, 9, 9), date(2026, 9, 9), [date(2026, 9, 9)], id="single-day"),
        pytest.param(date(2026, 4, 3), date(2026, 4, 3), [], id="single-holiday"),
        pytest.param(date(2026, 9, 12), date(2026, 9, 13), [], id="weekend"),
        pytest.param(date(2026, 9, 10), date(2026, 9, 9), [], id="end-before-start"),
    ],
)
def test_working_days_between(start: date, end: date, expected: list[date]) -> None:
    assert NO.working_days_between(start, end) == expected


# --- working_time_between --------------------------------------------------------------------


@pytest.mark.parametrize(("monday", "wednesday", "friday"), ORDINARY_WEEKS)
@pytest.mark.parametrize(
    ("start", "end", "hours"),
    [
        pytest.param((0, 10, 0), (0, 11, 30), 1.5, id="within-a-day"),
        pytest.param((0, 6, 0), (0, 20, 0), 8, id="whole-day-from-outside"),
        pytest.param((0, 15, 0), (1, 9, 0), 2, id="across-a-night"),
        pytest.param((0, 17, 0), (1, 7, 0), 0, id="only-night"),
        pytest.param((2, 15, 0), (5, 9, 0), 2, id="across-a-weekend"),
        pytest.param((3, 10, 0), (4, 10, 0), 0, id="inside-a-weekend"),
        pytest.param((0, 10, 0), (0, 10, 0), 0, id="start-equals-end"),
        pytest.param((0, 11, 30), (0, 10, 0), 0, id="end-before-start"),
        pytest.param((-2, 0, 0), (5, 0, 0), 40, id="whole-week"),
    ],
)
def test_working_time_between(
    monday: date,
    wednesday: date,
    friday: date,
    start: tuple[int, int, int],
    end: tuple[int, int, int],
    hours: float,
) -> None:
    # Offsets are days counted from the ordinary Wednesday.
    t0 = at(wednesday + timedelta(days=start[0]), start[1], start[2])
    t1 = at(wednesday + timedelta(days=end[0]), end[1], end[2])
    assert NO.working_time_between(t0, t1) == timedelta(hours=hours)


@pytest.mark.parametrize("week", EASTER_WEEKS)
def test_working_time_across_easter(week: EasterWeek) -> None:
    start, end = at(week.wednesday, 15), at(week.tuesday, 9)
    assert NO.working_time_between(start, end) == timedelta(hours=2)
    # Sweden works Maundy Thursday: 1 + 8 + 1 hours.
    start_se, end_se = at(week.wednesday, 15, tz=STOCKHOLM), at(week.tuesday, 9, tz=STOCKHOLM)
    assert SE.working_time_between(start_se, end_se) == timedelta(hours=10)


def test_working_time_with_mixed_zones() -> None:
    # 06:30 UTC = 08:30 CEST; 10:00 in New York = 16:00 in Oslo.
    start = utc(2026, 9, 9, 6, 30)
    end = datetime(2026, 9, 9, 10, 0, tzinfo=ZoneInfo("America/New_York"))
    assert NO.working_time_between(start, end) == timedelta(hours=7, minutes=30)


def test_working_time_on_a_half_day() -> None:
    cal = oslo_calendar(half_days_recurring={(12, 23): time(12)})
    assert cal.working_time_between(oslo(2026, 12, 23), oslo(2026, 12, 24)) == timedelta(hours=4)


# --- invalid input ---------------------------------------------------------------------------

NAIVE = datetime(2026, 9, 9, 10, 0)
AWARE = oslo(2026, 9, 9, 10, 0)

CALLS_WITH_NAIVE: list[tuple[str, Callable[[WorkCalendar], object]]] = [
    ("is_open", lambda c: c.is_open(NAIVE)),
    ("local_date", lambda c: c.local_date(NAIVE)),
    ("next_opening", lambda c: c.next_opening(NAIVE)),
    ("open_at_or_after", lambda c: c.open_at_or_after(NAIVE)),
    ("deadline", lambda c: c.deadline(NAIVE)),
    ("working_time_between-start", lambda c: c.working_time_between(NAIVE, AWARE)),
    ("working_time_between-end", lambda c: c.working_time_between(AWARE, NAIVE)),
]


@pytest.mark.parametrize("call", [pytest.param(c, id=name) for name, c in CALLS_WITH_NAIVE])
def test_naive_datetimes_are_rejected(call: Callable[[WorkCalendar], object]) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        call(NO)


NEVER_OPEN = oslo_calendar(week={})

CALLS_NEEDING_HOURS: list[tuple[str, Callable[[WorkCalendar], object]]] = [
    ("next_opening", lambda c: c.next_opening(AWARE)),
    ("open_at_or_after", lambda c: c.open_at_or_after(AWARE)),
    ("next_working_day", lambda c: c.next_working_day(date(2026, 9, 9))),
    ("previous_working_day", lambda c: c.previous_working_day(date(2026, 9, 9))),
    ("add_working_days-0", lambda c: c.add_working_days(date(2026, 9, 9), 0)),
    ("add_working_days-3", lambda c: c.add_working_days(date(2026, 9, 9), 3)),
    ("deadline", lambda c: c.deadline(AWARE)),
]


@pytest.mark.parametrize("call", [pytest.param(c, id=name) for name, c in CALLS_NEEDING_HOURS])
def test_calendar_without_office_hours_raises_instead_of_hanging(
    call: Callable[[WorkCalendar], object],
) -> None:
    with pytest.raises(ValueError, match="no office hours in the"):
        call(NEVER_OPEN)


def test_calendar_without_office_hours_answers_simple_questions() -> None:
    assert not NEVER_OPEN.is_working_day(date(2026, 9, 9))
    assert NEVER_OPEN.hours(date(2026, 9, 9)) is None
    assert not NEVER_OPEN.is_open(AWARE)
    assert NEVER_OPEN.working_days_between(date(2026, 1, 1), date(2026, 12, 31)) == []
    assert NEVER_OPEN.working_time_between(oslo(2026, 1, 1), oslo(2027, 1, 1)) == timedelta(0)


@pytest.mark.parametrize("country", ["US", "GB", "DE", "XX", "no", ""])
def test_unsupported_country(country: str) -> None:
    with pytest.raises(ValueError, match="not supported"):
        WorkCalendar(CalendarRules(timezone="Europe/Oslo", country=country))


@pytest.mark.parametrize("zone", ["Europe/Atlantis", "", "Not a zone"])
def test_unknown_timezone(zone: str) -> None:
    with pytest.raises(ValueError, match="time zone"):
        WorkCalendar(CalendarRules(timezone=zone, country="NO"))


def test_subdivision() -> None:
    oslo_county = WorkCalendar(
        CalendarRules(timezone="Europe/Oslo", country="NO", subdivision="03")
    )
    assert oslo_county.holiday_name(date(2026, 5, 17)) == "Constitution Day"
    with pytest.raises(ValueError, match="subdivision"):
        WorkCalendar(CalendarRules(timezone="Europe/Oslo", country="NO", subdivision="99"))


@pytest.mark.parametrize(
    ("opens", "closes"),
    [(time(16), time(8)), (time(8), time(8)), (time(8, tzinfo=UTC), time(16))],
    ids=["reversed", "empty", "aware"],
)
def test_invalid_hours(opens: time, closes: time) -> None:
    with pytest.raises(ValueError):
        Hours(opens, closes)


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda: Season("bad", (2, 30), (3, 1), MON_FRI), id="season-feb-30"),
        pytest.param(lambda: Season("bad", (13, 1), (3, 1), MON_FRI), id="season-month-13"),
        pytest.param(lambda: Season("bad", (6, 1), (8, 1), {7: OFFICE}), id="season-weekday-7"),
        pytest.param(lambda: CalendarRules("Europe/Oslo", "NO", week={-1: OFFICE}), id="weekday"),
        pytest.param(
            lambda: CalendarRules("Europe/Oslo", "NO", closed_recurring=frozenset({(4, 31)})),
            id="closed-april-31",
        ),
        pytest.param(
            lambda: CalendarRules("Europe/Oslo", "NO", half_days_recurring={(0, 1): time(12)}),
            id="half-day-month-0",
        ),
    ],
)
def test_invalid_rules(build: Callable[[], object]) -> None:
    with pytest.raises(ValueError):
        build()


def test_rules_are_copied_not_shared() -> None:
    week = dict(MON_FRI)
    cal = oslo_calendar(week=week)
    week.clear()
    assert cal.is_working_day(date(2026, 9, 9))


# The organisation of the Slack tests (Norway, the closed Christmas Eve, its half days).
ORG = parse_config(CONFIG, "vakt.toml").calendar()


def test_the_office_clock_agrees_with_the_calendar() -> None:
    """The running total gives what working_time_between gives: across nights, weekends,
    Easter, the closed Christmas Eve and the switch to summer time."""
    rnd = random.Random(47)
    first, last = date(2026, 3, 1), date(2027, 1, 10)
    clock = OfficeClock(ORG, first, last)
    span = (last - first).days * 86400
    base = datetime(2026, 3, 1, tzinfo=OSLO)
    for _ in range(400):
        a = base + timedelta(seconds=rnd.uniform(0, span))
        b = a + timedelta(hours=rnd.expovariate(1 / 30))
        if ORG.local_date(b) > last:
            continue
        expected = ORG.working_time_between(a, b).total_seconds()
        assert clock.seconds_between(a, b) == pytest.approx(expected, abs=1e-3)
