"""The rota: primary and substitute per period, absences, departures, covers, swaps and gaps."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.kernel.calendar import CalendarRules, Hours, Season, WorkCalendar
from bot.rota.core import (
    Absence,
    AbsenceKind,
    Override,
    OverrideKind,
    Rotation,
    TeamRota,
    duty_at,
    duty_day,
    duty_on,
    find_gaps,
    period_of,
)

OSLO = ZoneInfo("Europe/Oslo")
CAL = WorkCalendar(
    CalendarRules(
        timezone="Europe/Oslo",
        country="NO",
        week={d: Hours(time(8), time(16)) for d in range(5)},
        closed_recurring=frozenset({(12, 24), (12, 31)}),
    )
)
WEEKLY = TeamRota("komm", ("A", "B", "C"), Rotation.WEEKLY, date(2026, 11, 2))
DAILY = TeamRota("komm", ("A", "B", "C"), Rotation.DAILY, date(2026, 11, 2))


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=OSLO)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("day", "primary", "substitute"),
    [
        (date(2026, 11, 2), "A", "B"),  # week 45, period 0
        (date(2026, 11, 6), "A", "B"),
        (date(2026, 11, 9), "B", "C"),  # week 46
        (date(2026, 11, 16), "C", "A"),  # week 47: wrap-around substitute
        (date(2026, 11, 23), "A", "B"),  # week 48: the cycle restarts
        (date(2026, 10, 26), "C", "A"),  # before the start date the cycle runs backwards
    ],
)
def test_weekly_rotation(day: date, primary: str, substitute: str) -> None:
    duty = duty_on(WEEKLY, day, CAL)
    assert (duty.primary, duty.substitute) == (primary, substitute)
    assert not duty.changed


def test_weekly_period_is_seven_days_from_start() -> None:
    period = period_of(WEEKLY, date(2026, 11, 12), CAL)
    assert (period.index, period.start, period.end) == (1, date(2026, 11, 9), date(2026, 11, 15))


def test_daily_rotation_counts_working_days_only() -> None:
    # Mon 2 Nov A, Tue B, Wed C, Thu A, Fri B, (weekend), Mon 9 Nov C.
    got = [duty_on(DAILY, date(2026, 11, d), CAL).primary for d in (2, 3, 4, 5, 6, 9)]
    assert got == ["A", "B", "C", "A", "B", "C"]


def test_daily_rotation_skips_closed_days() -> None:
    team = TeamRota("t", ("A", "B"), Rotation.DAILY, date(2026, 12, 21))
    # 21 A, 22 B, 23 A, 24 closed (Christmas Eve), 25-27 holidays/weekend, 28 B.
    assert duty_on(team, date(2026, 12, 23), CAL).primary == "A"
    assert duty_on(team, date(2026, 12, 28), CAL).primary == "B"


@pytest.mark.parametrize(
    ("instant", "expected_day"),
    [
        (at(2026, 11, 9, 7, 59), date(2026, 11, 6)),  # before Monday's opening: Friday's duty
        (at(2026, 11, 9, 8, 0), date(2026, 11, 9)),  # the new period begins at the opening
        (at(2026, 11, 7, 12, 0), date(2026, 11, 6)),  # Saturday: Friday's duty holds
        (at(2026, 11, 9, 20, 0), date(2026, 11, 9)),  # after closing: still that day's duty
        (at(2026, 12, 28, 7, 0), date(2026, 12, 23)),  # over Christmas back to the 23rd
    ],
)
def test_duty_day(instant: datetime, expected_day: date) -> None:
    assert duty_day(instant, CAL) == expected_day


def test_duty_at_monday_before_opening_is_last_weeks_team() -> None:
    assert duty_at(WEEKLY, at(2026, 11, 9, 7, 30), CAL).primary == "A"
    assert duty_at(WEEKLY, at(2026, 11, 9, 8, 0), CAL).primary == "B"


def test_absent_primary_is_skipped_substitute_steps_up() -> None:
    away = [Absence("A", date(2026, 11, 3), date(2026, 11, 4))]
    monday = duty_on(WEEKLY, date(2026, 11, 2), CAL, away)
    tuesday = duty_on(WEEKLY, date(2026, 11, 3), CAL, away)
    assert (monday.primary, monday.substitute) == ("A", "B")
    assert (tuesday.primary, tuesday.substitute) == ("B", "C")
    assert tuesday.away == ("A",) and tuesday.changed


def test_absent_substitute_next_member_substitutes() -> None:
    away = [Absence("B", date(2026, 11, 2), date(2026, 11, 6), AbsenceKind.SICK)]
    duty = duty_on(WEEKLY, date(2026, 11, 4), CAL, away)
    assert (duty.primary, duty.substitute) == ("A", "C")


def test_left_the_job_is_out_of_all_future_periods() -> None:
    left = [Absence("B", date(2026, 11, 9), None, AbsenceKind.LEFT)]
    assert duty_on(WEEKLY, date(2026, 11, 6), CAL, left).substitute == "B"  # before leaving
    for monday in (date(2026, 11, 9), date(2027, 6, 7), date(2030, 1, 7)):
        duty = duty_on(WEEKLY, monday, CAL, left)
        assert "B" not in (duty.primary, duty.substitute)


def test_everyone_away_means_nobody() -> None:
    away = [Absence(u, date(2026, 11, 2), date(2026, 11, 6)) for u in "ABC"]
    duty = duty_on(WEEKLY, date(2026, 11, 3), CAL, away)
    assert duty.primary is None and duty.substitute is None


def test_cover_takes_the_covered_persons_place() -> None:
    cover = [Override(OverrideKind.COVER, "X", "A", date(2026, 11, 3), date(2026, 11, 3))]
    duty = duty_on(WEEKLY, date(2026, 11, 3), CAL, (), cover)
    assert (duty.primary, duty.substitute) == ("X", "B")
    assert duty.covering == ("X",)
    assert duty_on(WEEKLY, date(2026, 11, 4), CAL, (), cover).primary == "A"


def test_cover_by_a_member_moves_them_up_and_the_next_substitutes() -> None:
    cover = [Override(OverrideKind.COVER, "C", "A", date(2026, 11, 2), date(2026, 11, 6))]
    duty = duty_on(WEEKLY, date(2026, 11, 2), CAL, (), cover)
    assert (duty.primary, duty.substitute) == ("C", "B")


def test_cover_limited_to_another_team_does_not_apply() -> None:
    cover = [Override(OverrideKind.COVER, "X", "A", date(2026, 11, 2), date(2026, 11, 6), "web")]
    assert duty_on(WEEKLY, date(2026, 11, 2), CAL, (), cover).primary == "A"


def test_swap_exchanges_places_for_the_range() -> None:
    swap = [Override(OverrideKind.SWAP, "A", "C", date(2026, 11, 2), date(2026, 11, 6), "komm")]
    duty = duty_on(WEEKLY, date(2026, 11, 4), CAL, (), swap)
    assert (duty.primary, duty.substitute) == ("C", "B")
    assert duty_on(WEEKLY, date(2026, 11, 9), CAL, (), swap).primary == "B"


def test_swap_then_absence_still_skips_the_absent() -> None:
    swap = [Override(OverrideKind.SWAP, "A", "C", date(2026, 11, 2), date(2026, 11, 6))]
    away = [Absence("C", date(2026, 11, 5), date(2026, 11, 5))]
    duty = duty_on(WEEKLY, date(2026, 11, 5), CAL, away, swap)
    assert (duty.primary, duty.substitute) == ("B", "A")


def test_gaps_nobody_and_no_substitute() -> None:
    away = [
        Absence("A", date(2026, 11, 9), date(2026, 11, 13)),
        Absence("B", date(2026, 11, 9), date(2026, 11, 13)),
        Absence("C", date(2026, 11, 12), date(2026, 11, 13)),
    ]
    days = CAL.working_days_between(date(2026, 11, 9), date(2026, 11, 13))
    gaps = find_gaps(WEEKLY, days, CAL, away)
    assert [(g.kind, g.days) for g in gaps] == [
        ("no_substitute", (date(2026, 11, 9), date(2026, 11, 10), date(2026, 11, 11))),
        ("nobody", (date(2026, 11, 12), date(2026, 11, 13))),
    ]
    assert all(g.period.start == date(2026, 11, 9) for g in gaps)


def test_single_member_team_always_lacks_a_substitute() -> None:
    team = TeamRota("solo", ("A",), Rotation.WEEKLY, date(2026, 11, 2))
    gaps = find_gaps(team, [date(2026, 11, 2)], CAL)
    assert [g.kind for g in gaps] == ["no_substitute"]


# ---------------------------------------------------------------- period cost independent of age

# A Swedish office with a shorter summer week and a closed day of its own, beside CAL: the count
# of working days must follow every rule the calendar has, not only weekends and holidays.
SE_CAL = WorkCalendar(
    CalendarRules(
        timezone="Europe/Stockholm",
        country="SE",
        week={d: Hours(time(8), time(16, 30)) for d in range(5)},
        seasons=(
            Season("summer", (6, 15), (8, 15), {d: Hours(time(8), time(15)) for d in range(4)}),
        ),
        closed_dates=frozenset({date(2019, 5, 31), date(2031, 11, 3)}),
    )
)


def _counted_period(team: TeamRota, day: date, calendar: WorkCalendar) -> int:
    """The daily period index as it was first written: working days counted one by one."""
    if day >= team.start:
        index = len(calendar.working_days_between(team.start, day))
        return index - (1 if calendar.is_working_day(day) else 0)
    return -len(calendar.working_days_between(day, team.start - timedelta(days=1)))


@given(
    start=st.dates(min_value=date(2010, 1, 1), max_value=date(2036, 12, 31)),
    day=st.dates(min_value=date(2010, 1, 1), max_value=date(2036, 12, 31)),
    rotation=st.sampled_from(list(Rotation)),
    members=st.integers(min_value=1, max_value=6),
    calendar=st.sampled_from([CAL, SE_CAL]),
)
def test_period_matches_counting_day_by_day(
    start: date, day: date, rotation: Rotation, members: int, calendar: WorkCalendar
) -> None:
    """Over random start dates, days and rotations, the period (and so the duty) is the one a
    day-by-day count gives, however long ago the team started."""
    team = TeamRota("komm", tuple("ABCDEF"[:members]), rotation, start)
    period = period_of(team, day, calendar)
    if rotation == Rotation.DAILY:
        assert period.index == _counted_period(team, day, calendar)
        assert period.start == period.end == day
    else:
        assert period.start <= day <= period.end
        assert (period.start - start).days == 7 * period.index
    duty = duty_on(team, day, calendar)
    assert duty.primary == team.members[period.index % members]


@given(
    start=st.dates(min_value=date(2012, 1, 1), max_value=date(2032, 12, 31)),
    length=st.integers(min_value=-3, max_value=4000),
)
def test_count_of_working_days_is_the_length_of_the_list(start: date, length: int) -> None:
    end = start + timedelta(days=length)
    for calendar in (CAL, SE_CAL):
        assert calendar.count_working_days(start, end) == len(
            calendar.working_days_between(start, end)
        )
