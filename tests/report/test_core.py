"""The weekly report's figures: weeks, working-time response times, median and 90th percentile,
empty weeks, when the report is due, and reading a week as people write it."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from bot.items.core import Status
from bot.kernel.calendar import WorkCalendar
from bot.kernel.config import parse_config
from bot.kernel.errors import UserInputError
from bot.report import core
from tests.harness import CONFIG, OSLO

CAL: WorkCalendar = parse_config(CONFIG, "vakt.toml").calendar()
W47 = core.Week(2026, 47)  # Monday 16 – Sunday 22 November 2026


def at(month: int, day: int, hour: int = 0, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=OSLO)


def answered(received: datetime, closed: datetime, team: int = 1) -> core.ItemFact:
    return core.ItemFact(team, received, CAL.deadline(received, 1), Status.ANSWERED, closed)


def test_weeks_are_iso_weeks_in_local_time() -> None:
    assert W47.key == "2026-W47"
    assert (W47.monday, W47.sunday) == (date(2026, 11, 16), date(2026, 11, 22))
    assert W47.start(OSLO) == at(11, 16) and W47.end(OSLO) == at(11, 23)
    # Across the new year: 2026 has 53 ISO weeks.
    assert core.week_of(date(2027, 1, 3)) == core.Week(2026, 53)
    assert core.Week(2027, 1).shifted(-1) == core.Week(2026, 53)
    weeks = core.weeks_before(core.Week(2027, 2))
    assert [w.key for w in weeks] == [
        "2026-W48",
        "2026-W49",
        "2026-W50",
        "2026-W51",
        "2026-W52",
        "2026-W53",
        "2027-W01",
        "2027-W02",
    ]
    assert core.report_week(CAL, at(11, 23, 8)) == W47
    # Sunday night before midnight is still week 47: its report is the week before.
    assert core.report_week(CAL, at(11, 22, 23, 59)) == core.Week(2026, 46)


def test_median_and_90th_percentile_of_known_working_times() -> None:
    # Received at Tuesday's opening, answered after 1..10 hours of office time (8 h a day).
    start = at(11, 17, 8)
    items = [answered(start, office_after(start, hours)) for hours in range(1, 11)]
    fig = core.figures(CAL, items, W47)
    assert (fig.received, fig.answered, fig.closed_other) == (10, 10, 0)
    assert fig.median == timedelta(hours=5, minutes=30)
    # Linear interpolation between ranks: 9 h + 0.1 h.
    assert fig.p90 == timedelta(hours=9, minutes=6)


def office_after(start: datetime, hours: int) -> datetime:
    """The instant `hours` of office time after `start` (08:00–16:00 days)."""
    instant = start
    left = timedelta(hours=hours)
    while left > timedelta(0):
        day = CAL.local_date(instant)
        span = CAL.hours(day)
        if span is None or instant >= span[1]:
            instant = CAL.next_opening(instant)
            continue
        instant = max(instant, span[0])
        step = min(left, span[1] - instant)
        instant += step
        left -= step
    return instant


def test_working_time_skips_the_weekend_and_night() -> None:
    # Friday 15:00 → Monday 09:00: 1 h on Friday, 1 h on Monday.
    fig = core.figures(CAL, [answered(at(11, 20, 15), at(11, 23, 9))], core.Week(2026, 48))
    assert fig.median == timedelta(hours=2)
    # Received Saturday, answered Monday 08:30: only Monday's half hour counts.
    fig = core.figures(CAL, [answered(at(11, 21, 11), at(11, 23, 8, 30))], core.Week(2026, 48))
    assert fig.median == timedelta(minutes=30)


def test_working_time_skips_a_holiday() -> None:
    # Easter 2026: Maundy Thursday 2 April, Good Friday and Easter Monday 6 April are Norwegian
    # holidays; received Wednesday 1 April 15:00, answered Tuesday 7 April 10:00 → 1 h + 2 h.
    week = core.week_of(date(2026, 4, 7))
    item = answered(at(4, 1, 15), at(4, 7, 10))
    assert core.figures(CAL, [item], week).median == timedelta(hours=3)


def test_closed_otherwise_counts_apart_and_has_no_response_time() -> None:
    received = at(11, 17, 9)
    items = [
        answered(received, at(11, 17, 10)),
        core.ItemFact(1, received, CAL.deadline(received, 1), Status.NO_REPLY, at(11, 17, 12)),
        core.ItemFact(1, received, CAL.deadline(received, 1), Status.REFERRED, at(11, 18, 12)),
        core.ItemFact(1, received, CAL.deadline(received, 1), Status.DELETED, at(11, 19, 12)),
        core.ItemFact(1, received, CAL.deadline(received, 1), Status.OPEN, None),
    ]
    fig = core.figures(CAL, items, W47)
    assert (fig.received, fig.answered, fig.closed_other) == (5, 1, 3)
    assert fig.median == fig.p90 == timedelta(hours=1)


def test_received_and_answered_are_counted_in_their_own_weeks() -> None:
    # Received Sunday of week 46, answered Monday of week 47; one received in 47, answered in 48.
    items = [
        answered(at(11, 15, 20), at(11, 16, 9)),
        answered(at(11, 22, 12), at(11, 23, 9)),
    ]
    fig = core.figures(CAL, items, W47)
    assert (fig.received, fig.answered) == (1, 1)
    assert fig.median == timedelta(hours=1)


def test_share_within_the_deadline() -> None:
    received = at(11, 16, 10)  # due Tuesday 16:00
    items = [
        answered(received, at(11, 17, 15, 59)),
        answered(received, at(11, 17, 16, 0)),  # at the deadline: in time
        answered(received, at(11, 18, 8, 1)),
        answered(received, at(11, 19, 9)),
    ]
    fig = core.figures(CAL, items, W47)
    assert (fig.answered, fig.within_deadline, fig.within_share) == (4, 2, 0.5)


def test_an_empty_week_has_no_figures_not_zeros() -> None:
    fig = core.figures(CAL, [answered(at(11, 9, 9), at(11, 9, 10))], W47)
    assert fig == core.WeekFigures()
    assert fig.median is None and fig.p90 is None and fig.within_share is None


def test_overdue_now() -> None:
    received = at(11, 19, 10)  # due Friday 16:00
    open_item = core.ItemFact(1, received, CAL.deadline(received, 1), Status.OPEN, None)
    done = answered(received, at(11, 23, 9))
    assert core.overdue([open_item, done], at(11, 20, 15, 59)) == 0
    assert core.overdue([open_item, done], at(11, 23, 8)) == 1


def test_the_deadline_as_working_time() -> None:
    days = [date(2026, 11, 16) + timedelta(days=d) for d in range(56)]
    assert core.deadline_working_time(CAL, days, 1) == timedelta(hours=8)
    assert core.deadline_working_time(CAL, days, 2) == timedelta(hours=16)
    assert core.deadline_working_time(CAL, [], 1) == timedelta(hours=8)


@pytest.mark.parametrize(
    ("now", "due"),
    [
        (at(11, 23, 7, 59), False),  # before the first office hour
        (at(11, 23, 8, 0), True),  # the first office hour, Monday
        (at(11, 23, 15, 59), True),  # a late sweep that day still finds it
        (at(11, 23, 16, 0), False),  # closed
        (at(11, 24, 9), False),  # Tuesday: not the first working day
        (at(11, 22, 10), False),  # Sunday
        # Easter Monday 2027 is a holiday: the report moves to Tuesday.
        (at(3, 29, 9, year=2027), False),
        (at(3, 30, 8, year=2027), True),
    ],
)
def test_when_the_report_is_due(now: datetime, due: bool) -> None:
    assert core.is_report_time(CAL, now) is due


@pytest.mark.parametrize(
    ("word", "week"),
    [
        ("47", core.Week(2026, 47)),
        ("w47", core.Week(2026, 47)),
        ("v.47", core.Week(2026, 47)),
        ("uke47", core.Week(2026, 47)),
        ("vecka47", core.Week(2026, 47)),
        ("2026-W47", core.Week(2026, 47)),
        ("2025w47", core.Week(2025, 47)),
        ("w52", core.Week(2025, 52)),  # no year: the latest week 52 that is over
    ],
)
def test_weeks_as_people_write_them(word: str, week: core.Week) -> None:
    assert core.parse_week(word, date(2026, 11, 23)) == week


@pytest.mark.parametrize("word", ["w48", "2026-W49", "w99", "2025-W53", "next", "2026-11-16"])
def test_bad_or_future_weeks_are_refused(word: str) -> None:
    with pytest.raises(UserInputError):
        core.parse_week(word, date(2026, 11, 23))


def test_response_times_are_worked_out_once() -> None:
    items = [answered(at(11, 20, 15), at(11, 23, 9)), answered(at(11, 17, 9), at(11, 17, 9, 20))]
    worked = core.with_responses(CAL, items)
    assert [i.response for i in worked] == [7200.0, 1200.0]
    week = core.Week(2026, 48)
    assert core.figures(CAL, worked, week) == core.figures(CAL, items, week)
