"""The rota as iCalendar (RFC 5545): who is on duty, day by day, as all-day events.

Pure: the duty of each working day comes from `bot.rota.core.duty_on` with the same absences
and overrides `/vakt rota` uses, so a calendar and the rota in Slack cannot disagree.
Consecutive working days with the same duty become one event; the non-working days between
them (a weekend inside a two-week run, a holiday inside a week) belong to it, because the duty
holds until the next working day's opening (`rota.duty_day`). The weekend after the last
working day does not: nothing is due then, and a calendar would otherwise show everyone on
duty every Sunday.

The feed says who is on duty, never why someone is not: `Duty.away` and absence kinds (a sick
leave is health data, GDPR art. 9) are never read here.

Texts come in through `Say` (the organisation's catalog), so this module stays free of i18n.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from icalendar import Calendar, Event, vDuration

from bot.kernel.calendar import WorkCalendar
from bot.rota.core import Absence, Override, TeamRota, duty_on

# How often calendar apps are asked to fetch the feed again (REFRESH-INTERVAL, X-PUBLISHED-TTL).
REFRESH = timedelta(hours=1)
PRODID = "-//Vakt//Vakt duty rota//EN"

Say = Callable[..., str]  # `say(key, **params)`: a text of the organisation's catalog


class Role(StrEnum):
    PRIMARY = "primary"
    SUBSTITUTE = "substitute"


@dataclass(frozen=True)
class TeamInfo:
    """What a feed tells about a team besides its rota."""

    rota: TeamRota
    name: str
    channel: str | None = None  # Slack channel id
    accounts: tuple[str, ...] = ()  # account names


@dataclass(frozen=True)
class Run:
    """Consecutive working days of one team with the same primary and substitute."""

    team: str
    first: date  # first working day
    last: date  # last working day (inclusive)
    primary: str | None
    substitute: str | None

    @property
    def end(self) -> date:
        """The exclusive end date an all-day event needs (DTEND)."""
        return self.last + timedelta(days=1)


@dataclass(frozen=True)
class FeedEvent:
    """One all-day event of a feed, texts already in the organisation's language."""

    uid: str
    first: date
    end: date  # exclusive
    summary: str
    description: str


def feed_range(today: date, weeks_back: int, weeks_ahead: int) -> tuple[date, date]:
    """The days a feed covers: from the Monday `weeks_back` weeks before this week's Monday to
    the Sunday ending `weeks_ahead` weeks after it. Whole weeks, so the first run does not lose
    a day (and with it its UID) every day."""
    monday = today - timedelta(days=today.weekday())
    return monday - timedelta(weeks=weeks_back), monday + timedelta(weeks=weeks_ahead, days=-1)


def team_runs(
    team: TeamRota,
    start: date,
    end: date,
    calendar: WorkCalendar,
    absences: Sequence[Absence] = (),
    overrides: Sequence[Override] = (),
) -> list[Run]:
    """The team's duty from `start` to `end` (inclusive) as runs of working days with the
    same primary and substitute, absences and overrides applied."""
    runs: list[Run] = []
    if not team.members:
        return runs
    for day in calendar.working_days_between(start, end):
        duty = duty_on(team, day, calendar, absences, overrides)
        last = runs[-1] if runs else None
        if last is not None and (last.primary, last.substitute) == (duty.primary, duty.substitute):
            # The previous working day is the last one of the run: the days between are not
            # working days, so the run simply goes on.
            runs[-1] = Run(team.key, last.first, day, last.primary, last.substitute)
        else:
            runs.append(Run(team.key, day, day, duty.primary, duty.substitute))
    return runs


def person_runs(runs: Iterable[Run], user: str) -> list[tuple[Run, Role]]:
    """The runs where `user` is primary or substitute, with their role. A run changes when the
    partner changes, so each one's description names the right partner."""
    mine: list[tuple[Run, Role]] = []
    for run in runs:
        if run.primary == user:
            mine.append((run, Role.PRIMARY))
        elif run.substitute == user:
            mine.append((run, Role.SUBSTITUTE))
    return mine


def weeks_label(first: date, last: date, say: Say) -> str:
    """ "uke 48", or "uke 48–49" / "uke 53–1" for a run over several ISO weeks."""
    a, b = first.isocalendar().week, last.isocalendar().week
    if (first.isocalendar().year, a) == (last.isocalendar().year, b):
        return say("feeds.week", week=a)
    return say("feeds.weeks", first=a, last=b)


def _uid(domain: str, *parts: str) -> str:
    """The same duty gets the same UID on every fetch, so calendar apps update an event
    instead of adding a copy; hashed, so the UID shows no user ids to a calendar's sharers."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]
    return f"{digest}@{domain}"


def _who(user: str | None, names: Mapping[str, str], say: Say) -> str:
    if user is None:
        return say("feeds.nobody")
    return names.get(user) or f"@{user}"


def _team_lines(info: TeamInfo, say: Say) -> list[str]:
    lines: list[str] = []
    if info.channel:
        lines.append(say("feeds.channel", url=channel_url(info.channel)))
    if info.accounts:
        lines.append(say("feeds.accounts", accounts=", ".join(info.accounts)))
    lines.append(say("feeds.rota_hint", team=info.rota.key))
    return lines


def channel_url(channel: str) -> str:
    """A web link that opens a Slack channel (Slack's documented app_redirect)."""
    return f"https://slack.com/app_redirect?channel={channel}"


def person_events(
    user: str,
    teams: Sequence[TeamInfo],
    runs: Mapping[str, Sequence[Run]],
    say: Say,
    names: Mapping[str, str],
    domain: str,
) -> list[FeedEvent]:
    """One person's duties in every team, as events titled with the ISO week(s)."""
    events: list[FeedEvent] = []
    for info in teams:
        for run, role in person_runs(runs.get(info.rota.key, ()), user):
            partner = run.substitute if role == Role.PRIMARY else run.primary
            other = Role.SUBSTITUTE if role == Role.PRIMARY else Role.PRIMARY
            lines = [
                say(f"feeds.partner_{other.value}", who=_who(partner, names, say)),
                *_team_lines(info, say),
            ]
            events.append(
                FeedEvent(
                    uid=_uid(domain, "person", user, info.rota.key, role, run.first.isoformat()),
                    first=run.first,
                    end=run.end,
                    summary=say(
                        "feeds.person_title",
                        weeks=weeks_label(run.first, run.last, say),
                        team=info.name,
                        role=say(f"feeds.role_{role.value}"),
                    ),
                    description="\n".join(lines),
                )
            )
    return sorted(events, key=lambda e: (e.first, e.summary))


def team_events(
    info: TeamInfo, runs: Sequence[Run], say: Say, names: Mapping[str, str], domain: str
) -> list[FeedEvent]:
    """A team's duty, run by run: who is primary and who substitutes."""
    events: list[FeedEvent] = []
    for run in runs:
        primary, substitute = _who(run.primary, names, say), _who(run.substitute, names, say)
        lines = [
            say("feeds.partner_primary", who=primary),
            say("feeds.partner_substitute", who=substitute),
            *_team_lines(info, say),
        ]
        events.append(
            FeedEvent(
                uid=_uid(domain, "team", info.rota.key, run.first.isoformat()),
                first=run.first,
                end=run.end,
                summary=say(
                    "feeds.team_title",
                    weeks=weeks_label(run.first, run.last, say),
                    team=info.name,
                    primary=primary,
                    substitute=substitute,
                ),
                description="\n".join(lines),
            )
        )
    return events


def to_ical(
    name: str, description: str, timezone: str, events: Iterable[FeedEvent], now: datetime
) -> bytes:
    """The VCALENDAR (CRLF line endings, long lines folded by the library)."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-caldesc", description)
    # All-day events need no VTIMEZONE; the zone tells apps which office this is.
    cal.add("x-wr-timezone", timezone)
    # RFC 7986's REFRESH-INTERVAL, and the older name Outlook and Google read.
    cal.add("refresh-interval", vDuration(REFRESH), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", vDuration(REFRESH))
    stamp = now.astimezone(UTC)  # DTSTAMP is always UTC
    for item in events:
        event = Event()
        event.add("uid", item.uid)
        event.add("dtstamp", stamp)
        event.add("dtstart", item.first)
        event.add("dtend", item.end)
        event.add("summary", item.summary)
        event.add("description", item.description)
        # Being on duty is part of the working day, not a meeting: it does not make anyone busy.
        event.add("transp", "TRANSPARENT")
        cal.add_component(event)
    return cal.to_ical()
