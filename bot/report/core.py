"""The weekly report's figures: ISO weeks, response times in working time, medians and the 90th
percentile, per team and in total.

Pure: every input (including "now") is an argument. A week's figures depend only on what
happened in it – items received in it, items closed in it – so the report of week 47 reads
the same on Monday of week 48 and when someone asks for it a month later; only "overdue now"
is a figure of the instant the report is made.

Response time is measured on *answered* items only (received → answered, office hours only,
holidays and closed days excluded): an item closed as "no reply needed", referred to case
handling or deleted was not answered, and counting it would flatter or spoil the figure. Those
are counted apart as "closed otherwise".
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.items.core import Status, percentile
from bot.kernel.calendar import OfficeClock, WorkCalendar
from bot.kernel.errors import UserInputError

__all__ = [
    "CHART_WEEKS",
    "ItemFact",
    "Week",
    "WeekFigures",
    "deadline_working_time",
    "figures",
    "history",
    "is_report_time",
    "overdue",
    "parse_week",
    "report_week",
    "week_of",
    "weeks_before",
    "with_responses",
]

# The chart looks back this many ISO weeks (the report's week included).
CHART_WEEKS = 8
OTHER_CLOSED = frozenset({Status.NO_REPLY, Status.REFERRED, Status.DELETED})


@dataclass(frozen=True, order=True)
class Week:
    """An ISO week: Monday 00:00 to the next Monday 00:00 in the organisation's zone."""

    year: int
    number: int

    @property
    def key(self) -> str:
        """ "2026-W47", as outbox keys and file names use it."""
        return f"{self.year}-W{self.number:02d}"

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.number, 1)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    def start(self, tz: ZoneInfo) -> datetime:
        """Monday 00:00 local time (aware)."""
        return datetime.combine(self.monday, time(0), tzinfo=tz)

    def end(self, tz: ZoneInfo) -> datetime:
        """The next Monday 00:00 local time: the week is [start, end)."""
        return datetime.combine(self.monday + timedelta(days=7), time(0), tzinfo=tz)

    def shifted(self, weeks: int) -> Week:
        """The week `weeks` later (negative: earlier)."""
        return week_of(self.monday + timedelta(weeks=weeks))


def week_of(day: date) -> Week:
    """The ISO week holding `day`."""
    year, number, _ = day.isocalendar()
    return Week(year, number)


def weeks_before(last: Week, count: int = CHART_WEEKS) -> list[Week]:
    """`count` consecutive weeks ending with `last`, oldest first."""
    return [last.shifted(-offset) for offset in range(count - 1, -1, -1)]


def report_week(calendar: WorkCalendar, now: datetime) -> Week:
    """The week a report made at `now` covers: the ISO week before the current one."""
    return week_of(calendar.local_date(now)).shifted(-1)


def is_report_time(calendar: WorkCalendar, now: datetime) -> bool:
    """True from the first office hour of the first working day of the ISO week (Monday, or
    Tuesday after a Monday holiday) until that day's closing: the weekly report is due.

    A sweep that comes late (the scheduler was down at 08:00) still finds it that day; after
    closing it waits for nobody – the next week's report covers the week after.
    """
    if not calendar.is_open(now):
        return False
    today = calendar.local_date(now)
    monday = today - timedelta(days=today.weekday())
    first = next(
        (
            monday + timedelta(days=offset)
            for offset in range(7)
            if calendar.is_working_day(monday + timedelta(days=offset))
        ),
        None,
    )
    return first == today


_WEEK_WORD = re.compile(
    r"^(?:(?P<year>\d{4})-?)?(?:w|v|u|uke|vecka|veke|week|v\.)?-?(?P<week>\d{1,2})$", re.I
)


def parse_week(word: str, today: date) -> Week:
    """A week as people write it: "47", "w47", "v47", "uke47", "2026-W47", "2026w47". Without
    a year, this year's week unless its number is still ahead (then last year's): reports look
    back. A week that is not over by `today` is refused."""
    match = _WEEK_WORD.match(word.strip())
    if match is None:
        raise UserInputError("error.report_bad_week", value=word[:20])
    number = int(match.group("week"))
    if match.group("year") is not None:
        year = int(match.group("year"))
    else:
        current = week_of(today)
        # In January "w52" is last December's; this week's number is this week (not over yet).
        year = current.year if number <= current.number else current.year - 1
    try:
        week = week_of(date.fromisocalendar(year, number, 1))
    except ValueError as exc:
        raise UserInputError("error.report_bad_week", value=word[:20]) from exc
    if week >= week_of(today):
        raise UserInputError("error.report_future_week", value=word[:20])
    return week


@dataclass(frozen=True)
class ItemFact:
    """One item as the report sees it (plain data, read from the database by the service)."""

    team_id: int
    received_at: datetime
    deadline: datetime
    status: str
    closed_at: datetime | None
    # Working seconds from received to closed, when already worked out (`with_responses`).
    response: float | None = None


@dataclass(frozen=True)
class WeekFigures:
    """One team's (or the organisation's) items in one week."""

    received: int = 0
    answered: int = 0
    closed_other: int = 0  # no reply needed, referred, deleted
    within_deadline: int = 0  # of the answered
    median: timedelta | None = None  # response time in working time, answered items
    p90: timedelta | None = None

    @property
    def within_share(self) -> float | None:
        """Share of the answered items answered by their deadline (None: none answered)."""
        return self.within_deadline / self.answered if self.answered else None


def with_responses(calendar: WorkCalendar, items: Sequence[ItemFact]) -> tuple[ItemFact, ...]:
    """The items with the response time of each answered one worked out, once."""
    answered = [i for i in items if i.status == Status.ANSWERED and i.closed_at is not None]
    if not answered:
        return tuple(items)
    first = min(calendar.local_date(i.received_at) for i in answered)
    last = max(calendar.local_date(i.closed_at) for i in answered if i.closed_at is not None)
    clock = OfficeClock(calendar, first, last)
    return tuple(
        replace(i, response=clock.seconds_between(i.received_at, i.closed_at))
        if i.status == Status.ANSWERED and i.closed_at is not None
        else i
        for i in items
    )


@dataclass
class _Tally:
    received: int = 0
    answered: int = 0
    other: int = 0
    within: int = 0
    seconds: list[float] = field(default_factory=list)

    def figures(self) -> WeekFigures:
        median, p90 = percentile(self.seconds, 50), percentile(self.seconds, 90)
        return WeekFigures(
            received=self.received,
            answered=self.answered,
            closed_other=self.other,
            within_deadline=self.within,
            median=None if median is None else timedelta(seconds=round(median)),
            p90=None if p90 is None else timedelta(seconds=round(p90)),
        )


def history(
    calendar: WorkCalendar, items: Iterable[ItemFact], weeks: Sequence[Week]
) -> tuple[WeekFigures, ...]:
    """Each week's figures (see `figures`), in one pass over the items."""
    tallies = {week: _Tally() for week in weeks}
    for item in items:
        tally = tallies.get(week_of(calendar.local_date(item.received_at)))
        if tally is not None:
            tally.received += 1
        if item.closed_at is None:
            continue
        tally = tallies.get(week_of(calendar.local_date(item.closed_at)))
        if tally is None:
            continue
        if item.status == Status.ANSWERED:
            tally.answered += 1
            tally.within += item.closed_at <= item.deadline
            tally.seconds.append(
                item.response
                if item.response is not None
                else calendar.working_time_between(item.received_at, item.closed_at).total_seconds()
            )
        elif item.status in OTHER_CLOSED:
            tally.other += 1
    return tuple(tallies[week].figures() for week in weeks)


def figures(calendar: WorkCalendar, items: Iterable[ItemFact], week: Week) -> WeekFigures:
    """Received, answered, closed otherwise, response times and the share within deadline.

    Received: items that arrived in the week. Answered and closed otherwise: items closed in
    the week, whenever they arrived. Response times: of the items answered in the week.
    """
    return history(calendar, items, [week])[0]


def overdue(items: Iterable[ItemFact], now: datetime) -> int:
    """Items still open past their deadline at `now`."""
    return sum(1 for i in items if i.status == Status.OPEN and i.deadline < now)


def deadline_working_time(calendar: WorkCalendar, days: Sequence[date], n: int) -> timedelta:
    """The deadline "n working days after the day received", as working time for the chart.

    An item received at any moment has at least n full office days before its deadline (one
    arriving just before closing, or at the weekend); one arriving at the opening has n + 1.
    The chart draws the lower bound – n times the usual day's office time (the median length
    of the working days in `days`) – so a response time under the line met its deadline,
    whenever the item came in.
    """
    lengths = []
    for day in days:
        span = calendar.hours(day)
        if span is not None:
            lengths.append((span[1] - span[0]).total_seconds())
    usual = statistics.median(lengths) if lengths else 8 * 3600.0
    return timedelta(seconds=usual * n)
