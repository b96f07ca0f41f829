"""The weekly report: its figures gathered from the database for a week, per team and in
total, and the same figures as CSV.

`load` reads everything once (for all teams); `build` makes the report for a set of teams from
that, so the coordinators' report and each manager's come from one read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot.archive import service as archive
from bot.items.core import Status
from bot.kernel.calendar import WorkCalendar
from bot.kernel.config import OrgConfig
from bot.kernel.csvfile import csv_bytes
from bot.report import core
from bot.rota.teams import all_teams
from bot.store.models import Account, AccountFlag, Deletion, Gap, Item


@dataclass(frozen=True)
class TeamInfo:
    id: int
    key: str
    name: str
    manager: str | None


@dataclass(frozen=True)
class GapLine:
    """A period ahead with nobody, or no substitute, on duty (an open `Gap`)."""

    team: str  # the team's name
    start: date  # its first day without cover
    kind: str  # "nobody" | "no_substitute"


@dataclass(frozen=True)
class SnapshotDue:
    account: str  # the account's name
    due: date


@dataclass(frozen=True)
class Extras:
    """The archive and register figures of one team (or all): what is not about items."""

    deletions: int = 0  # logged in the report's week
    deletions_complete: int = 0  # of those, complete now
    snapshots_due: tuple[SnapshotDue, ...] = ()  # due on or before the report's day
    flags_open: int = 0
    flags_new: int = 0  # raised in the report's week
    gaps: tuple[GapLine, ...] = ()


@dataclass(frozen=True)
class TeamReport:
    team: TeamInfo
    history: tuple[core.WeekFigures, ...]  # the chart's weeks, oldest first; last: the week
    overdue: int  # open past the deadline at the report's instant
    extras: Extras

    @property
    def figures(self) -> core.WeekFigures:
        return self.history[-1]


@dataclass(frozen=True)
class Report:
    """One recipient's report: the whole organisation, or a manager's teams."""

    org: str
    week: core.Week
    weeks: tuple[core.Week, ...]  # the chart's, oldest first
    made_at: datetime
    whole: bool  # the whole organisation (coordinators) or some teams (a manager)
    teams: tuple[TeamReport, ...]
    history: tuple[core.WeekFigures, ...]  # all of `teams` together, per week
    overdue: int
    extras: Extras
    deadline: timedelta  # the deadline as working time, for the chart's reference line
    deadline_days: int

    @property
    def total(self) -> core.WeekFigures:
        return self.history[-1]


@dataclass(frozen=True)
class ReportData:
    """What the database holds for a report, read once for every team."""

    week: core.Week
    weeks: tuple[core.Week, ...]
    now: datetime
    teams: tuple[TeamInfo, ...]
    items: tuple[core.ItemFact, ...]
    deletions: tuple[tuple[int, bool], ...]  # (team id, complete) logged in the week
    snapshots: tuple[tuple[int, SnapshotDue], ...]  # (team id, due)
    flags: tuple[tuple[int, bool], ...]  # (team id, new this week) of the open flags
    gaps: tuple[tuple[int, GapLine], ...]


def all_team_infos(session: Session) -> tuple[TeamInfo, ...]:
    """Every team, by key: who manages it and what it is called."""
    return tuple(
        TeamInfo(v.team.id, v.team.key, v.team.name, v.team.manager)
        for v in all_teams(session)
        if v.team.id is not None
    )


def load(
    session: Session,
    config: OrgConfig,
    calendar: WorkCalendar,
    week: core.Week,
    now: datetime,
) -> ReportData:
    """Read what the report of `week`, made at `now`, needs."""
    tz = calendar.tz
    weeks = tuple(core.weeks_before(week))
    since, until = weeks[0].start(tz), week.end(tz)
    teams = all_team_infos(session)
    # Items received or closed in the chart's weeks, and those open past their deadline now.
    rows = session.execute(
        sa.select(
            col(Account.team_id),
            col(Item.received_at),
            col(Item.deadline),
            col(Item.status),
            col(Item.closed_at),
        ).where(
            col(Item.account_id) == col(Account.id),
            sa.or_(
                sa.and_(col(Item.received_at) >= since, col(Item.received_at) < until),
                sa.and_(col(Item.closed_at) >= since, col(Item.closed_at) < until),
                sa.and_(col(Item.status) == Status.OPEN, col(Item.deadline) < now),
            ),
        )
    ).all()
    items = core.with_responses(
        calendar,
        [
            core.ItemFact(team_id, received, deadline, status, closed)
            for team_id, received, deadline, status, closed in rows
        ],
    )
    start = week.start(tz)
    deletions = session.exec(
        select(Account.team_id, Deletion.completed_at).where(
            col(Deletion.account_id) == col(Account.id),
            col(Deletion.logged_at) >= start,
            col(Deletion.logged_at) < until,
        )
    ).all()
    flags = session.exec(
        select(Account.team_id, AccountFlag.raised_at).where(
            col(AccountFlag.account_id) == col(Account.id),
            col(AccountFlag.resolved_at).is_(None),
        )
    ).all()
    today = calendar.local_date(now)
    snapshots = [
        (p.account.team_id, SnapshotDue(p.account.name, p.due))
        for p in archive.plans(session, config.archive.snapshot_months, calendar)
        if p.due is not None and p.due <= today
    ]
    names = {t.id: t.name for t in teams}
    gaps: list[tuple[int, GapLine]] = []
    for gap in session.exec(
        select(Gap).where(col(Gap.closed_at).is_(None)).order_by(col(Gap.period_start))
    ).all():
        days = sorted(date.fromisoformat(d) for d in gap.days.split(",") if d)
        ahead = [d for d in days if d >= today] if days else [gap.period_start]
        if ahead and ahead[0] >= today and gap.team_id in names:
            gaps.append((gap.team_id, GapLine(names[gap.team_id], ahead[0], gap.kind)))
    return ReportData(
        week=week,
        weeks=weeks,
        now=now,
        teams=teams,
        items=items,
        deletions=tuple((team_id, done is not None) for team_id, done in deletions),
        snapshots=tuple(snapshots),
        flags=tuple((team_id, start <= raised < until) for team_id, raised in flags),
        gaps=tuple(gaps),
    )


def _extras(data: ReportData, team_ids: set[int]) -> Extras:
    deletions = [done for team, done in data.deletions if team in team_ids]
    flags = [new for team, new in data.flags if team in team_ids]
    return Extras(
        deletions=len(deletions),
        deletions_complete=sum(deletions),
        snapshots_due=tuple(
            sorted(
                (s for team, s in data.snapshots if team in team_ids),
                key=lambda s: (s.due, s.account),
            )
        ),
        flags_open=len(flags),
        flags_new=sum(flags),
        gaps=tuple(g for team, g in data.gaps if team in team_ids),
    )


def build(
    calendar: WorkCalendar,
    config: OrgConfig,
    data: ReportData,
    team_ids: Iterable[int] | None = None,
) -> Report:
    """The report for some teams (None: the whole organisation), from what `load` read."""
    wanted = None if team_ids is None else set(team_ids)
    teams = [t for t in data.teams if wanted is None or t.id in wanted]
    ids = {t.id for t in teams}
    by_team: dict[int, list[core.ItemFact]] = defaultdict(list)
    for item in data.items:
        by_team[item.team_id].append(item)
    mine = [item for item in data.items if item.team_id in ids]
    days = [data.weeks[0].monday + timedelta(days=d) for d in range(7 * len(data.weeks))]
    n = config.items.deadline_working_days
    return Report(
        org=config.name,
        week=data.week,
        weeks=data.weeks,
        made_at=data.now,
        whole=wanted is None,
        teams=tuple(
            TeamReport(
                team=team,
                history=core.history(calendar, by_team[team.id], data.weeks),
                overdue=core.overdue(by_team[team.id], data.now),
                extras=_extras(data, {team.id}),
            )
            for team in teams
        ),
        history=core.history(calendar, mine, data.weeks),
        overdue=core.overdue(mine, data.now),
        extras=_extras(data, ids),
        deadline=core.deadline_working_time(calendar, days, n),
        deadline_days=n,
    )


def report_for(
    session: Session,
    config: OrgConfig,
    calendar: WorkCalendar,
    week: core.Week,
    now: datetime,
    team_ids: Iterable[int] | None = None,
) -> Report:
    """Load and build in one go (one recipient)."""
    return build(calendar, config, load(session, config, calendar, week, now), team_ids)


def managed_teams(data_teams: Iterable[TeamInfo], user: str) -> list[int]:
    """The ids of the teams a person manages."""
    return [t.id for t in data_teams if t.manager == user]


# ---------------------------------------------------------------- CSV

# Stable English column names: a spreadsheet or BI import keeps working whatever the
# organisation's language. No decimals (minutes, whole percent), so Nordic Excel's decimal
# comma never turns a figure into text or a date.
CSV_COLUMNS = (
    "week",
    "team_key",
    "team",
    "received",
    "answered",
    "closed_otherwise",
    "answered_within_deadline",
    "within_deadline_pct",
    "median_minutes",
    "p90_minutes",
    "overdue_now",
    "deletions",
    "deletions_complete",
    "snapshots_due",
    "flags_open",
    "flags_new",
    "gaps_ahead",
)
TOTAL_KEY = "total"


def _minutes(span: timedelta | None) -> str:
    return "" if span is None else str(round(span.total_seconds() / 60))


def _row(
    week: core.Week,
    key: str,
    name: str,
    fig: core.WeekFigures,
    now: tuple[int, Extras] | None,
) -> list[str]:
    share = fig.within_share
    row = [
        week.key,
        key,
        name,
        str(fig.received),
        str(fig.answered),
        str(fig.closed_other),
        str(fig.within_deadline),
        "" if share is None else str(round(share * 100)),
        _minutes(fig.median),
        _minutes(fig.p90),
    ]
    if now is None:  # the figures of the moment belong to the report's own week only
        return row + [""] * 7
    overdue, extras = now
    return [
        *row,
        str(overdue),
        str(extras.deletions),
        str(extras.deletions_complete),
        str(len(extras.snapshots_due)),
        str(extras.flags_open),
        str(extras.flags_new),
        str(len(extras.gaps)),
    ]


def report_csv(report: Report, total_label: str) -> bytes:
    """The report's figures: one row per team and week for the chart's weeks, then the total
    rows (team_key "total"). `;`-separated, as Nordic Excel opens it as columns; a team named
    "=..." is defused like every CSV cell Vakt writes."""
    rows: list[list[str]] = []
    last = len(report.weeks) - 1
    for team in report.teams:
        for index, (week, fig) in enumerate(zip(report.weeks, team.history, strict=True)):
            now = (team.overdue, team.extras) if index == last else None
            rows.append(_row(week, team.team.key, team.team.name, fig, now))
    for index, (week, fig) in enumerate(zip(report.weeks, report.history, strict=True)):
        now = (report.overdue, report.extras) if index == last else None
        rows.append(_row(week, TOTAL_KEY, total_label, fig, now))
    return csv_bytes(CSV_COLUMNS, rows, delimiter=";")
