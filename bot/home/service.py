"""The App Home tab: each user's duties in one place, published when it changes.

What a home shows is gathered from the database by `Board` (read once per refresh, shared by
every home it builds) and `gather` (one person's share of it); `bot.home.blocks` renders
it and `bot.home.publish` publishes it: one person's home at once (they opened it, or pressed
one of its buttons), and after every sweep the homes opened in the last 30 days whose content
changed, within the debounce and the publish budget of `bot.home.core`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from bot.archive import core as archive_core
from bot.archive import service as archive
from bot.home import core
from bot.home.core import Listing, clip
from bot.items.core import ItemLine, Status
from bot.kernel.calendar import WorkCalendar
from bot.kernel.config import LIVE, OrgConfig
from bot.kernel.context import Ctx
from bot.lifecycle import service as lifecycle
from bot.requests.core import RequestStatus, Role
from bot.requests.service import view_of
from bot.rota import core as rota
from bot.rota.service import MAX_WEEKS
from bot.rota.teams import TeamView, absences_from, all_teams, overrides_from
from bot.store.models import (
    Account,
    AccountRequest,
    Deletion,
    Gap,
    Item,
    MetaState,
    SwapRequest,
)

log = logging.getLogger(__name__)

SECTIONS = (
    "duty",
    "items",
    "deletions",
    "snapshots",
    "swaps",
    "teams",
    "gaps",
    "flags",
    "closures",
    "requests",
    "platforms",
)
SNAPSHOT_LOOKAHEAD = timedelta(days=14)


# ---------------------------------------------------------------- what a home shows


@dataclass(frozen=True)
class TeamDutyLine:
    team: str
    now: core.Spell | None
    next: core.Spell | None


@dataclass(frozen=True)
class DeletionLine:
    id: int
    account: str
    account_url: str
    deleted_at: datetime
    missing: tuple[str, ...]


@dataclass(frozen=True)
class SnapshotLine:
    account: str
    account_url: str
    due: date
    last: date | None


@dataclass(frozen=True)
class SwapLine:
    requester: str
    counterpart: str
    team: str
    start: date
    end: date


@dataclass(frozen=True)
class TeamCountLine:
    team: str
    open: int
    overdue: int


@dataclass(frozen=True)
class GapLine:
    team: str
    kind: str  # nobody | no_substitute
    first: date
    days: int


@dataclass(frozen=True)
class FlagLine:
    account: str
    team: str
    kind: str
    raised: date


@dataclass(frozen=True)
class ClosureLine:
    account: str
    started: date
    missing: int


@dataclass(frozen=True)
class RequestLine:
    name: str
    platform: str
    team: str
    requester: str
    made: date


@dataclass(frozen=True)
class PlatformLine:
    """A connected account Vakt cannot read as it should (coordinators)."""

    name: str
    url: str
    problem: str | None  # what Meta said, in short
    blocked_until: datetime | None


def _later(instant: datetime | None, now: datetime) -> datetime | None:
    return instant if instant is not None and instant > now else None


def _empty() -> Listing[Any]:
    return Listing((), 0)


@dataclass(frozen=True)
class Home:
    """One person's home as data: each list clipped, with its total."""

    user: str
    now: datetime
    member: bool
    coordinator: bool
    manager: bool
    duty: Listing[TeamDutyLine] = field(default_factory=_empty)
    items: Listing[ItemLine] = field(default_factory=_empty)
    deletions: Listing[DeletionLine] = field(default_factory=_empty)
    snapshots: Listing[SnapshotLine] = field(default_factory=_empty)
    swaps: Listing[SwapLine] = field(default_factory=_empty)
    teams: Listing[TeamCountLine] = field(default_factory=_empty)
    gaps: Listing[GapLine] = field(default_factory=_empty)
    flags: Listing[FlagLine] = field(default_factory=_empty)
    closures: Listing[ClosureLine] = field(default_factory=_empty)
    requests: Listing[RequestLine] = field(default_factory=_empty)
    platforms: Listing[PlatformLine] = field(default_factory=_empty)

    @property
    def empty(self) -> bool:
        """Nothing at all to show: no team, no role, no list with a row."""
        if self.member or self.coordinator or self.manager:
            return False
        return not any(getattr(self, s).total for s in SECTIONS)

    def section(self, name: str) -> Listing[Any]:
        """One of the lists by name (see SECTIONS)."""
        if name not in SECTIONS:
            raise KeyError(name)
        listing: Listing[Any] = getattr(self, name)
        return listing


class Board:
    """What the database holds that homes show, read lazily once and shared by every home
    built from it (one refresh builds many)."""

    def __init__(
        self, session: Session, config: OrgConfig, calendar: WorkCalendar, now: datetime
    ) -> None:
        self.session, self.config, self.calendar, self.now = session, config, calendar, now
        self.today = calendar.local_date(now)
        self.ctx = Ctx(session, config, calendar, now, "vakt")
        self._duties: dict[int, list[rota.Duty]] = {}  # per team id, filled by duties()

    @cached_property
    def teams(self) -> list[TeamView]:
        return all_teams(self.session)

    @cached_property
    def _inputs(self) -> tuple[list[rota.Absence], list[rota.Override]]:
        since = self.today - timedelta(days=7)
        return absences_from(self.session, since), overrides_from(self.session, since)

    @cached_property
    def duty_day(self) -> date:
        return rota.duty_day(self.now, self.calendar)

    @cached_property
    def _horizon(self) -> list[date]:
        until = self.duty_day + timedelta(days=7 * MAX_WEEKS)
        return self.calendar.working_days_between(self.duty_day, until)

    def duties(self, view: TeamView) -> list[rota.Duty]:
        """A team's duty on each working day from the one holding now, about half a year."""
        assert view.team.id is not None
        cached = self._duties.get(view.team.id)
        if cached is None:
            absences, overrides = self._inputs
            cached = [
                rota.duty_on(view.rota, day, self.calendar, absences, overrides)
                for day in self._horizon
            ]
            self._duties[view.team.id] = cached
        return cached

    @cached_property
    def counts(self) -> dict[int, tuple[int, int]]:
        """Open and overdue items per account id."""
        overdue = sa.case((col(Item.deadline) < self.now, 1), else_=0)
        rows = self.session.exec(
            select(Item.account_id, func.count(), func.sum(overdue))
            .where(col(Item.status) == Status.OPEN)
            .group_by(col(Item.account_id))
        ).all()
        return {a: (int(n), int(late or 0)) for a, n, late in rows}

    def overdue_items(self, views: list[TeamView], limit: int) -> Listing[ItemLine]:
        """Open items past their deadline on the teams' accounts, oldest first."""
        accounts = {a.id: (a, v.team) for v in views for a in v.accounts}
        if not accounts:
            return _empty()
        total = sum(self.counts.get(i, (0, 0))[1] for i in accounts if i is not None)
        rows = self.session.exec(
            select(Item)
            .where(
                col(Item.status) == Status.OPEN,
                col(Item.deadline) < self.now,
                col(Item.account_id).in_(list(accounts)),
            )
            .order_by(col(Item.received_at), col(Item.id))
            .limit(limit)
        ).all()
        lines = []
        for item in rows:
            account, team = accounts[item.account_id]
            assert item.id is not None
            lines.append(
                ItemLine(
                    id=item.id,
                    account=account.name,
                    account_url=account.url,
                    url=item.url,
                    excerpt=item.excerpt,
                    received_at=item.received_at,
                    deadline=item.deadline,
                    must_register=item.must_register,
                    registration_ref=item.registration_ref,
                    team=team.name,
                )
            )
        return Listing(tuple(lines), total)

    @cached_property
    def deletions(self) -> list[tuple[Deletion, Account, list[archive_core.Step]]]:
        """Incomplete deletions with what their checklist misses, oldest first."""
        rows = archive.incomplete(self.session)
        if not rows:
            return []
        accounts = {a.id: a for a in self.session.exec(select(Account)).all()}
        with_files = archive.with_evidence_files(
            self.session, [d.id for d in rows if d.id is not None]
        )
        found = []
        for deletion in rows:
            missing = archive_core.missing_steps(
                self.config.archive, archive.state_of(deletion, has_files=deletion.id in with_files)
            )
            if missing:
                found.append((deletion, accounts[deletion.account_id], missing))
        return found

    @cached_property
    def snapshot_plans(self) -> list[archive.SnapshotPlan]:
        """Live accounts whose snapshot is due, or falls due within two weeks."""
        until = self.today + SNAPSHOT_LOOKAHEAD
        plans = archive.plans(self.session, self.config.archive.snapshot_months, self.calendar)
        return sorted(
            (p for p in plans if p.due is not None and p.due <= until),
            key=lambda p: (p.due, p.account.key),
        )

    @cached_property
    def swaps(self) -> list[SwapRequest]:
        return list(
            self.session.exec(
                select(SwapRequest)
                .where(SwapRequest.status == "pending", col(SwapRequest.end) >= self.today)
                .order_by(col(SwapRequest.start), col(SwapRequest.id))
            ).all()
        )

    @cached_property
    def gaps(self) -> list[GapLine]:
        """Open rota gaps whose days have not all passed, soonest first."""
        names = {v.team.id: v.team.name for v in self.teams}
        rows = self.session.exec(
            select(Gap).where(col(Gap.closed_at).is_(None)).order_by(col(Gap.period_start))
        ).all()
        lines = []
        for gap in rows:
            days = sorted(date.fromisoformat(d) for d in gap.days.split(",") if d)
            ahead = [d for d in days if d >= self.today]
            if ahead:
                lines.append(GapLine(names.get(gap.team_id, "?"), gap.kind, ahead[0], len(ahead)))
        return lines

    def flags(self, limit: int) -> Listing[FlagLine]:
        views, total = lifecycle.open_flags(self.ctx, limit)
        return Listing(
            tuple(
                FlagLine(
                    v.account.name,
                    v.team.name,
                    v.flag.kind,
                    self.calendar.local_date(v.flag.raised_at),
                )
                for v in views
            ),
            total,
        )

    def closures(self, limit: int) -> Listing[ClosureLine]:
        views, total = lifecycle.open_closures(self.ctx, limit)
        return Listing(
            tuple(
                ClosureLine(
                    v.account.name,
                    self.calendar.local_date(v.closure.started_at),
                    len(v.missing),
                )
                for v in views
            ),
            total,
        )

    @cached_property
    def platform_problems(self) -> list[PlatformLine]:
        """Connected accounts with a problem or a throttle to wait out (the rest read fine:
        listing them would change the home at every read)."""
        rows = self.session.exec(
            select(Account, MetaState)
            .join(MetaState, col(MetaState.account_id) == col(Account.id))
            .where(
                col(Account.status).in_(LIVE),
                sa.or_(
                    col(MetaState.problem).is_not(None),
                    col(MetaState.blocked_until) > self.now,
                ),
            )
            .order_by(col(Account.key))
        ).all()
        return [
            PlatformLine(
                a.name,
                a.url,
                state.problem_detail or state.problem,
                state.blocked_until
                if state.blocked_until and state.blocked_until > self.now
                else None,
            )
            for a, state in rows
        ]

    @cached_property
    def pending_requests(self) -> list[AccountRequest]:
        return list(
            self.session.exec(
                select(AccountRequest)
                .where(col(AccountRequest.status) == RequestStatus.PENDING)
                .order_by(col(AccountRequest.created_at), col(AccountRequest.id))
            ).all()
        )


def _team_lines(board: Board, user: str, views: list[TeamView], limit: int) -> Listing[Any]:
    lines = []
    for view in views:
        state = core.duty_now_and_next(board.duties(view), user, board.duty_day)
        lines.append(TeamDutyLine(view.team.name, state.now, state.next))
    return clip(lines, limit)


def gather(board: Board, user: str, limit: int = core.ROWS, only: str | None = None) -> Home:
    """One person's home from the board: every list (or `only` one) clipped to `limit` rows."""
    teams = board.teams
    mine = [v for v in teams if user in v.members]
    managed = [v for v in teams if v.team.manager == user]
    coordinator = board.config.is_coordinator(user)
    wanted = (lambda name: name == only) if only else (lambda name: True)
    parts: dict[str, Listing[Any]] = {}
    if wanted("duty") and mine:
        parts["duty"] = _team_lines(board, user, mine, limit)
    if wanted("items") and mine:
        parts["items"] = board.overdue_items(mine, limit)
    my_accounts = {a.id for v in mine for a in v.accounts}
    if wanted("deletions"):
        parts["deletions"] = clip(
            (
                DeletionLine(
                    d.id or 0,
                    account.name,
                    account.url,
                    d.deleted_at,
                    tuple(str(s) for s in missing),
                )
                for d, account, missing in board.deletions
                if d.logged_by == user or d.account_id in my_accounts
            ),
            limit,
        )
    if wanted("snapshots") and my_accounts:
        parts["snapshots"] = clip(
            (
                SnapshotLine(p.account.name, p.account.url, p.due, p.last)
                for p in board.snapshot_plans
                if p.account.id in my_accounts and p.due is not None
            ),
            limit,
        )
    if wanted("swaps"):
        names = {v.team.id: v.team.name for v in teams}
        parts["swaps"] = clip(
            (
                SwapLine(s.requester, s.counterpart, names.get(s.team_id, "?"), s.start, s.end)
                for s in board.swaps
                if user in (s.requester, s.counterpart)
            ),
            limit,
        )
    if wanted("teams") and (managed or coordinator):
        shown = teams if coordinator else managed
        lines = []
        for view in shown:
            numbers = [board.counts.get(a.id or 0, (0, 0)) for a in view.accounts]
            lines.append(
                TeamCountLine(
                    view.team.name, sum(n for n, _ in numbers), sum(o for _, o in numbers)
                )
            )
        parts["teams"] = clip(lines, limit)
    if coordinator:
        if wanted("gaps"):
            parts["gaps"] = clip(board.gaps, limit)
        if wanted("flags"):
            parts["flags"] = board.flags(limit)
        if wanted("closures"):
            parts["closures"] = board.closures(limit)
        if wanted("platforms"):
            parts["platforms"] = clip(board.platform_problems, limit)
    if wanted("requests") and (coordinator or managed):
        parts["requests"] = clip(_requests_for(board, user, coordinator), limit)
    return Home(
        user=user,
        now=board.now,
        member=bool(mine),
        coordinator=coordinator,
        manager=bool(managed),
        **parts,
    )


def _requests_for(board: Board, user: str, coordinator: bool) -> list[RequestLine]:
    """Pending account requests waiting for this person's decision (as coordinator, or as
    the manager of the team it is for)."""
    lines = []
    for request in board.pending_requests:
        view = view_of(board.session, board.config, request)
        awaited = set(view.awaited)
        if (coordinator and Role.COORDINATOR in awaited) or (
            view.team.manager == user and Role.MANAGER in awaited
        ):
            lines.append(
                RequestLine(
                    request.name,
                    request.platform,
                    view.team.name,
                    request.requester,
                    board.calendar.local_date(request.created_at),
                )
            )
    return lines


__all__ = [
    "SECTIONS",
    "Board",
    "Home",
    "gather",
]
