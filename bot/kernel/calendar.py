"""Working-day calendar: office hours, public holidays, closed days and deadlines.

Pure: every input (including "now") is an argument; no clock, database or Slack.
All datetimes returned are timezone-aware in the organisation's zone; arithmetic between
instants is done in UTC so that DST changes never add or lose an hour of office time.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

__all__ = [
    "SUPPORTED_COUNTRIES",
    "CalendarRules",
    "Hours",
    "OfficeClock",
    "Season",
    "WorkCalendar",
]

# How far the calendar looks for the next working day before deciding there is none.
_SEARCH_DAYS = 366
_NO_HOURS = f"no office hours in the next {_SEARCH_DAYS} days"

# Holiday categories of the `holidays` package that close municipal offices, per country.
# - NO: "public" only; Christmas Eve and New Year's Eve are not public holidays in Norway,
#   so organisations add them as closed or half days themselves.
# - SE: "public" plus "de_facto" (Midsummer Eve, Christmas Eve, New Year's Eve), which Swedish
#   offices treat as holidays. "bank" and "optional" are eves closing at 14:00 and squeeze
#   days; those are the organisation's own half days.
# - DK: "public" only as a category (it has Maundy Thursday, unlike Sweden). DK's "optional"
#   category mixes whole closures (Christmas Eve, New Year's Eve) with afternoons off under
#   public-sector agreements (1 May, Constitution Day 5 June); only the whole closures are
#   taken from it, see _EXTRA_CLOSED. The half days are the organisation's to configure,
#   since a holiday taken from the library can never be reopened by the rules.
# - FI: "public" only; it already contains Midsummer Eve and Christmas Eve. "unofficial" and
#   "workday" are flag days on which offices work.
SUPPORTED_COUNTRIES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "NO": ("public",),
        "SE": ("public", "de_facto"),
        "DK": ("public",),
        "FI": ("public",),
    }
)

# (category, {(month, day), ...}): single days taken from an otherwise excluded category.
_EXTRA_CLOSED: Mapping[str, tuple[str, frozenset[tuple[int, int]]]] = MappingProxyType(
    {"DK": ("optional", frozenset({(12, 24), (12, 31)}))}
)

# Norway's and Sweden's calendars can list every Sunday as a holiday; a plain Sunday is
# only a closed weekday, not a named holiday.
_SUNDAY_OPTION = frozenset({"NO", "SE"})

# Holiday names in one fixed language so they do not depend on the server's locale;
# translating them for the reader is the presentation layer's job.
_HOLIDAY_LANGUAGE = "en_US"


@dataclass(frozen=True)
class Hours:
    """Opening and closing wall-clock time on one day."""

    opens: time
    closes: time

    def __post_init__(self) -> None:
        if self.opens.tzinfo is not None or self.closes.tzinfo is not None:
            raise ValueError("office hours are local wall-clock times; drop the tzinfo")
        if not self.opens < self.closes:
            raise ValueError(f"opening {self.opens} must be before closing {self.closes}")


def _default_week() -> Mapping[int, Hours]:
    """Monday to Friday, 08:00-16:00."""
    return MappingProxyType({wd: Hours(time(8), time(16)) for wd in range(5)})


def _check_month_day(md: tuple[int, int], what: str) -> None:
    """Raise ValueError unless md is a (month, day) that exists in some year."""
    try:
        date(2000, md[0], md[1])  # a leap year, so (2, 29) is accepted
    except (TypeError, ValueError, IndexError) as exc:
        raise ValueError(f"{what}: {md!r} is not a valid (month, day)") from exc


def _frozen_week(week: Mapping[int, Hours], what: str) -> Mapping[int, Hours]:
    """Validate weekday keys and return a read-only copy."""
    for weekday, hours in week.items():
        if weekday not in range(7):
            raise ValueError(f"{what}: weekday {weekday!r} is not 0 (Monday) .. 6 (Sunday)")
        if not isinstance(hours, Hours):
            raise ValueError(f"{what}: weekday {weekday} needs Hours, got {hours!r}")
    return MappingProxyType(dict(week))


@dataclass(frozen=True)
class Season:
    """Seasonal office hours (e.g. summer hours) between two recurring MM-DD dates, inclusive;
    may wrap the new year (12-01 .. 02-28)."""

    name: str
    start: tuple[int, int]
    end: tuple[int, int]
    week: Mapping[int, Hours]

    def __post_init__(self) -> None:
        _check_month_day(self.start, f"season {self.name!r} start")
        _check_month_day(self.end, f"season {self.name!r} end")
        object.__setattr__(self, "start", (self.start[0], self.start[1]))
        object.__setattr__(self, "end", (self.end[0], self.end[1]))
        object.__setattr__(self, "week", _frozen_week(self.week, f"season {self.name!r}"))

    def contains(self, day: date) -> bool:
        """True if day falls between start and end (inclusive), wrapping the new year."""
        md = (day.month, day.day)
        if self.start <= self.end:
            return self.start <= md <= self.end
        return md >= self.start or md <= self.end


@dataclass(frozen=True)
class CalendarRules:
    """An organisation's zone, holiday country, office hours and own closed and half days."""

    timezone: str
    country: str
    subdivision: str | None = None
    week: Mapping[int, Hours] = field(default_factory=_default_week)
    seasons: tuple[Season, ...] = ()
    closed_recurring: frozenset[tuple[int, int]] = frozenset()
    closed_dates: frozenset[date] = frozenset()
    half_days_recurring: Mapping[tuple[int, int], time] = field(
        default_factory=lambda: MappingProxyType({})
    )
    half_days_dates: Mapping[date, time] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        object.__setattr__(self, "week", _frozen_week(self.week, "week"))
        object.__setattr__(self, "seasons", tuple(self.seasons))
        for md in self.closed_recurring:
            _check_month_day(md, "closed_recurring")
        object.__setattr__(self, "closed_recurring", frozenset(self.closed_recurring))
        object.__setattr__(self, "closed_dates", frozenset(self.closed_dates))
        for md in self.half_days_recurring:
            _check_month_day(md, "half_days_recurring")
        for at in (*self.half_days_recurring.values(), *self.half_days_dates.values()):
            if at.tzinfo is not None:
                raise ValueError("half-day closing times are local wall-clock times")
        object.__setattr__(
            self, "half_days_recurring", MappingProxyType(dict(self.half_days_recurring))
        )
        object.__setattr__(self, "half_days_dates", MappingProxyType(dict(self.half_days_dates)))


def _require_aware(instant: datetime, name: str = "instant") -> None:
    """Raise ValueError for a naive datetime."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {instant!r}")


def _days_from(day: date, step: int) -> Iterator[date]:
    """The _SEARCH_DAYS days after (step=1) or before (step=-1) day, nearest first."""
    for offset in range(1, _SEARCH_DAYS + 1):
        yield day + timedelta(days=offset * step)


class WorkCalendar:
    """Answers working-day and office-hour questions for one organisation's CalendarRules."""

    def __init__(self, rules: CalendarRules) -> None:
        if rules.country not in SUPPORTED_COUNTRIES:
            supported = ", ".join(sorted(SUPPORTED_COUNTRIES))
            raise ValueError(f"country {rules.country!r} is not supported; use one of {supported}")
        try:
            self.tz = ZoneInfo(rules.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {rules.timezone!r}") from exc
        self.rules = rules
        self._holidays: dict[int, dict[date, str]] = {}
        # Per year: how many working days from 1 January up to and including each day of it.
        self._counted: dict[int, tuple[int, ...]] = {}
        # (first year, last year) -> working days in the whole years from the first to before
        # the last: a team's start year and this year, so a handful of entries.
        self._whole_years: dict[tuple[int, int], int] = {}
        try:
            self._holidays_for(2000)  # fail now, not at the first question, on a bad subdivision
        except NotImplementedError as exc:
            raise ValueError(
                f"subdivision {rules.subdivision!r} is not known for {rules.country}"
            ) from exc

    def _holidays_for(self, year: int) -> dict[date, str]:
        """Closing holidays of one year, date -> name (cached)."""
        cached = self._holidays.get(year)
        if cached is not None:
            return cached
        country = self.rules.country
        options: dict[str, Any] = {}
        if country in _SUNDAY_OPTION:
            options["include_sundays"] = False
        found = holidays.country_holidays(
            country,
            subdiv=self.rules.subdivision,
            years=year,
            categories=SUPPORTED_COUNTRIES[country],
            language=_HOLIDAY_LANGUAGE,
            **options,
        )
        names = {day: str(name) for day, name in found.items()}
        if country in _EXTRA_CLOSED:
            category, month_days = _EXTRA_CLOSED[country]
            extra = holidays.country_holidays(
                country,
                subdiv=self.rules.subdivision,
                years=year,
                categories=(category,),
                language=_HOLIDAY_LANGUAGE,
            )
            for day, name in extra.items():
                if (day.month, day.day) in month_days:
                    names.setdefault(day, str(name))
        self._holidays[year] = names
        return names

    def holiday_name(self, day: date) -> str | None:
        """Name of the public holiday (or de-facto closed day) on day, else None."""
        return self._holidays_for(day.year).get(day)

    def _week_for(self, day: date) -> Mapping[int, Hours]:
        """The weekly hours in force on day: the first matching season's, else the normal week."""
        for season in self.rules.seasons:
            if season.contains(day):
                return season.week
        return self.rules.week

    def _local_hours(self, day: date) -> tuple[time, time] | None:
        """Wall-clock opening and closing on day, or None when the office is closed."""
        rules = self.rules
        md = (day.month, day.day)
        # The organisation's closed days and the country's holidays beat every opening rule.
        if day in rules.closed_dates or md in rules.closed_recurring:
            return None
        if self.holiday_name(day) is not None:
            return None
        hours = self._week_for(day).get(day.weekday())
        if hours is None:
            return None
        closes = hours.closes
        # A half day closes early (e.g. 12:00 on 23 December); a specific date beats the
        # yearly rule. It never extends the day, and closing at or before opening means closed.
        early = rules.half_days_dates.get(day, rules.half_days_recurring.get(md))
        if early is not None:
            closes = min(closes, early)
        if closes <= hours.opens:
            return None
        return hours.opens, closes

    def is_working_day(self, day: date) -> bool:
        """True if day has office hours (weekday open, no holiday, no closed day)."""
        return self._local_hours(day) is not None

    def hours(self, day: date) -> tuple[datetime, datetime] | None:
        """Aware opening and closing datetimes on day (seasons, half days applied), or None."""
        local = self._local_hours(day)
        if local is None:
            return None
        opens, closes = local
        return (
            datetime.combine(day, opens, tzinfo=self.tz),
            datetime.combine(day, closes, tzinfo=self.tz),
        )

    def _utc_hours(self, day: date) -> tuple[datetime, datetime] | None:
        """Opening and closing on day in UTC, for comparisons and arithmetic across DST."""
        span = self.hours(day)
        if span is None:
            return None
        return span[0].astimezone(UTC), span[1].astimezone(UTC)

    def is_open(self, instant: datetime) -> bool:
        """True if the aware instant is in office hours (opening inclusive, closing exclusive)."""
        _require_aware(instant)
        span = self._utc_hours(self.local_date(instant))
        if span is None:
            return False
        return span[0] <= instant.astimezone(UTC) < span[1]

    def local_date(self, instant: datetime) -> date:
        """The date of the aware instant in the organisation's time zone."""
        _require_aware(instant)
        return instant.astimezone(self.tz).date()

    def next_opening(self, instant: datetime) -> datetime:
        """The first opening strictly after the aware instant."""
        _require_aware(instant)
        utc = instant.astimezone(UTC)
        start = self.local_date(instant)
        for day in (start, *_days_from(start, 1)):
            span = self.hours(day)
            if span is not None and span[0].astimezone(UTC) > utc:
                return span[0]
        raise ValueError(_NO_HOURS)

    def open_at_or_after(self, instant: datetime) -> datetime:
        """The instant itself (in the organisation's zone) if open, else the next opening."""
        if self.is_open(instant):
            return instant.astimezone(self.tz)
        return self.next_opening(instant)

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after day."""
        for candidate in _days_from(day, 1):
            if self.is_working_day(candidate):
                return candidate
        raise ValueError(_NO_HOURS)

    def previous_working_day(self, day: date) -> date:
        """The last working day strictly before day."""
        for candidate in _days_from(day, -1):
            if self.is_working_day(candidate):
                return candidate
        raise ValueError(f"no office hours in the previous {_SEARCH_DAYS} days")

    def add_working_days(self, day: date, n: int) -> date:
        """The n-th working day after day; n=0 gives day itself or the next working day."""
        if n < 0:
            raise ValueError(f"n must be 0 or more, got {n}")
        if n == 0:
            return day if self.is_working_day(day) else self.next_working_day(day)
        for _ in range(n):
            day = self.next_working_day(day)
        return day

    def _working_days_through(self, day: date) -> int:
        """Working days from 1 January of `day`'s year up to and including `day` (cached per
        year: one pass over a year's days, then a lookup)."""
        counts = self._counted.get(day.year)
        if counts is None:
            first = date(day.year, 1, 1)
            running, seen = 0, []
            for offset in range((date(day.year + 1, 1, 1) - first).days):
                running += self.is_working_day(first + timedelta(days=offset))
                seen.append(running)
            counts = self._counted[day.year] = tuple(seen)
        return counts[day.timetuple().tm_yday - 1]

    def count_working_days(self, start: date, end: date) -> int:
        """How many working days from start to end, both inclusive (0 if end < start):
        `len(working_days_between(start, end))` at the same cost however far apart they are,
        once their years have been counted."""
        if end < start:
            return 0
        before_start = self._working_days_through(start) - self.is_working_day(start)
        span = (start.year, end.year)
        whole = self._whole_years.get(span)
        if whole is None:
            whole = self._whole_years[span] = sum(
                self._working_days_through(date(year, 12, 31)) for year in range(*span)
            )
        return whole + self._working_days_through(end) - before_start

    def working_days_between(self, start: date, end: date) -> list[date]:
        """Working days from start to end, both inclusive (empty if end < start)."""
        count = (end - start).days + 1
        days = (start + timedelta(days=i) for i in range(max(count, 0)))
        return [day for day in days if self.is_working_day(day)]

    def deadline(self, instant: datetime, n: int = 1) -> datetime:
        """Closing time of the n-th working day after the instant's local date."""
        # Counted from the local date, not the moment: a question on Friday afternoon or at the
        # weekend is due when Monday closes, one asked before Easter when the Tuesday after does.
        day = self.add_working_days(self.local_date(instant), n)
        span = self.hours(day)
        assert span is not None  # add_working_days only returns working days
        return span[1]

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Office time between two aware instants (zero if end <= start)."""
        _require_aware(start, "start")
        _require_aware(end, "end")
        start_utc, end_utc = start.astimezone(UTC), end.astimezone(UTC)
        total = timedelta(0)
        if end_utc <= start_utc:
            return total
        first, last = self.local_date(start), self.local_date(end)
        for offset in range((last - first).days + 1):
            span = self._utc_hours(first + timedelta(days=offset))
            if span is None:
                continue
            overlap = min(span[1], end_utc) - max(span[0], start_utc)
            if overlap > timedelta(0):
                total += overlap
        return total


class OfficeClock:
    """Office time as a running total over a span of days: the working time between two
    instants is the difference of two look-ups. Gives what `WorkCalendar.working_time_between`
    gives (a test holds them together), in constant time per pair instead of a walk over the
    days between – a report over 100,000 items, or `/vakt status` over a month's answers, works
    out every response time once."""

    def __init__(self, calendar: WorkCalendar, first: date, last: date) -> None:
        self.calendar = calendar
        self.first = first
        self.spans: list[tuple[float, float] | None] = []
        self.before: list[float] = []
        total = 0.0
        for offset in range((last - first).days + 1):
            hours = calendar.hours(first + timedelta(days=offset))
            span = None if hours is None else (hours[0].timestamp(), hours[1].timestamp())
            self.spans.append(span)
            self.before.append(total)
            if span is not None:
                total += span[1] - span[0]
        self.total = total

    def _running(self, instant: datetime) -> float:
        """Office seconds from the first day's midnight up to `instant`."""
        index = (self.calendar.local_date(instant) - self.first).days
        if index < 0:
            return 0.0
        if index >= len(self.spans):
            return self.total
        span = self.spans[index]
        done = self.before[index]
        if span is not None:
            done += min(max(instant.timestamp() - span[0], 0.0), span[1] - span[0])
        return done

    def seconds_between(self, start: datetime, end: datetime) -> float:
        """Office seconds between two instants within the span (0 if end <= start)."""
        return max(self._running(end) - self._running(start), 0.0)
