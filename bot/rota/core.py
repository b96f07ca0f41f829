"""The duty rota: who is primary and who substitutes for a team on any day or at any instant.

Pure functions of the team, the calendar, absences and overrides. Municipal rules behind it:
someone is always responsible for watching an account (PG2), a substitute is always named (NB4,
KG1), and nobody is left on duty while on leave, sick or after leaving the job (NB3).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from bot.kernel.calendar import WorkCalendar


class Rotation(StrEnum):
    WEEKLY = "weekly"
    DAILY = "daily"


class AbsenceKind(StrEnum):
    VACATION = "vacation"
    SICK = "sick"
    LEAVE = "leave"
    LEFT = "left"  # left the job: out of every future period
    OTHER = "other"


class OverrideKind(StrEnum):
    COVER = "cover"  # `user` takes `other`'s place
    SWAP = "swap"  # `user` and `other` exchange places


@dataclass(frozen=True)
class TeamRota:
    key: str
    members: tuple[str, ...]
    rotation: Rotation
    start: date


@dataclass(frozen=True)
class Absence:
    user: str
    start: date
    end: date | None  # None: open-ended (left the job)
    kind: AbsenceKind = AbsenceKind.VACATION

    def covers(self, day: date) -> bool:
        """True when the person is away on that day."""
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class Override:
    kind: OverrideKind
    user: str
    other: str
    start: date
    end: date
    team: str | None = None  # None: every team where `other` is on duty

    def applies(self, team: str, day: date) -> bool:
        """True when the override is in force for that team on that day."""
        return (self.team is None or self.team == team) and self.start <= day <= self.end


@dataclass(frozen=True)
class Period:
    """One rotation period: an ISO-ish week from the team's start date, or one working day."""

    index: int
    start: date
    end: date


@dataclass(frozen=True)
class Duty:
    team: str
    day: date
    period: Period
    primary: str | None
    substitute: str | None
    planned_primary: str | None
    planned_substitute: str | None
    away: tuple[str, ...] = ()  # planned people skipped because they are away
    covering: tuple[str, ...] = ()  # people on duty through an override or swap

    @property
    def changed(self) -> bool:
        """True when absences or overrides changed the planned duty."""
        return (self.primary, self.substitute) != (self.planned_primary, self.planned_substitute)


@dataclass(frozen=True)
class Gap:
    team: str
    period: Period
    kind: str  # "nobody" or "no_substitute"
    days: tuple[date, ...] = field(default=())


def period_of(team: TeamRota, day: date, calendar: WorkCalendar) -> Period:
    """The rotation period that contains `day`."""
    if team.rotation == Rotation.WEEKLY:
        index = (day - team.start).days // 7
        start = team.start + timedelta(days=7 * index)
        return Period(index=index, start=start, end=start + timedelta(days=6))
    # Daily rotation advances by working days only: nobody "has" a Saturday.
    if day >= team.start:
        index = calendar.count_working_days(team.start, day)
        index -= 1 if calendar.is_working_day(day) else 0
    else:
        index = -calendar.count_working_days(day, team.start - timedelta(days=1))
    return Period(index=index, start=day, end=day)


def first_working_day(period: Period, calendar: WorkCalendar) -> date | None:
    """The first working day of a period, when it has one."""
    days = calendar.working_days_between(period.start, period.end)
    return days[0] if days else None


def _order(team: TeamRota, index: int) -> list[str]:
    members = list(team.members)
    if not members:
        return []
    k = index % len(members)
    return members[k:] + members[:k]


def duty_on(
    team: TeamRota,
    day: date,
    calendar: WorkCalendar,
    absences: Sequence[Absence] = (),
    overrides: Sequence[Override] = (),
) -> Duty:
    """Primary and substitute for a team on a day, with absences and overrides applied.

    Member k is primary in period k and the next member substitutes. Someone away is skipped: the
    substitute steps up and the next available member substitutes.
    """
    period = period_of(team, day, calendar)
    order = _order(team, period.index)
    planned = order[:2]
    covering: list[str] = []
    for override in overrides:
        if not override.applies(team.key, day):
            continue
        if override.kind == OverrideKind.COVER and override.other in order:
            position = order.index(override.other)
            order = [m for m in order if m != override.user]
            position = min(position, len(order))
            order[position : position + 1] = [override.user]
            covering.append(override.user)
        elif override.kind == OverrideKind.SWAP and (
            override.user in order or override.other in order
        ):
            # With someone outside the team, the outsider simply takes the member's place.
            swapped = {override.user: override.other, override.other: override.user}
            order = [swapped.get(m, m) for m in order]
            covering.extend(m for m in (override.user, override.other) if m in order[:2])
    away_now = {a.user for a in absences if a.covers(day)}
    left = {a.user for a in absences if a.kind == AbsenceKind.LEFT and a.covers(day)}
    available = [m for m in order if m not in away_now]
    # Someone who has left the job is not "away": they are simply no longer in the rota.
    away = tuple(m for m in order[:2] if m in away_now and m not in left)
    return Duty(
        team=team.key,
        day=day,
        period=period,
        primary=available[0] if available else None,
        substitute=available[1] if len(available) > 1 else None,
        planned_primary=planned[0] if planned else None,
        planned_substitute=planned[1] if len(planned) > 1 else None,
        away=away,
        covering=tuple(dict.fromkeys(c for c in covering if c in available[:2])),
    )


def duty_day(instant: datetime, calendar: WorkCalendar) -> date:
    """The working day whose duty holds at an instant.

    A period's duty begins at the office opening of its first working day, so before Monday's
    opening (and over the weekend) the previous working day's duty still holds.
    """
    day = calendar.local_date(instant)
    hours = calendar.hours(day)
    if hours is not None and instant >= hours[0]:
        return day
    return calendar.previous_working_day(day)


def duty_at(
    team: TeamRota,
    instant: datetime,
    calendar: WorkCalendar,
    absences: Sequence[Absence] = (),
    overrides: Sequence[Override] = (),
) -> Duty:
    """Primary and substitute at an instant (see `duty_day`)."""
    return duty_on(team, duty_day(instant, calendar), calendar, absences, overrides)


def find_gaps(
    team: TeamRota,
    days: Iterable[date],
    calendar: WorkCalendar,
    absences: Sequence[Absence] = (),
    overrides: Sequence[Override] = (),
) -> list[Gap]:
    """Periods among `days` (working days) where nobody, or no substitute, is available."""
    found: dict[tuple[int, str], list[date]] = {}
    periods: dict[int, Period] = {}
    for day in days:
        duty = duty_on(team, day, calendar, absences, overrides)
        kind = (
            "nobody" if duty.primary is None else "no_substitute" if duty.substitute is None else ""
        )
        if kind:
            periods[duty.period.index] = duty.period
            found.setdefault((duty.period.index, kind), []).append(day)
    return [
        Gap(team=team.key, period=periods[index], kind=kind, days=tuple(days_))
        for (index, kind), days_ in sorted(found.items())
    ]
